import { loadStoreConfig } from "../config.js";
import { migrateToLatest } from "../store/migrations.js";
import { describeStore, parseFlags, runCli, withStore } from "./cli-support.js";

const HELP = `usage: npm run migrate
       node dist/cli/migrate.js   (after npm run build)

Applies pending migrations to the store at DATABASE_URL (default sqlite:./data/auth.db outside
production), prints what it applied and exits 0; exits 1 with one line naming the problem.
It reads no token secrets.`;

/** `npm run migrate`: brings the store at DATABASE_URL up to date, for deployments that migrate before starting. */
runCli("migrate", async () => {
  parseFlags(process.argv.slice(2), [], "usage: npm run migrate (the store is DATABASE_URL)", HELP);
  const { databaseUrl } = loadStoreConfig();
  await withStore(databaseUrl, async (store) => {
    const applied = await migrateToLatest(store.db, store.dialect);
    const where = describeStore(databaseUrl);
    console.log(applied.length > 0 ? `applied ${applied.join(", ")} to ${where}` : `nothing to apply; ${where} is up to date`);
  });
});
