import { pino } from "pino";
import { systemClock } from "../clock.js";
import { loadStoreConfig, readEnvironment } from "../config.js";
import { AuthEvents } from "../events/auth-events.js";
import { createLogger } from "../logger.js";
import { migrateToLatest } from "../store/migrations.js";
import { createPasswordHasher } from "../users/password-hasher.js";
import { isRole, ROLES } from "../users/roles.js";
import { UserRepository } from "../users/user-repository.js";
import { checkEmail, checkUsername } from "../users/user-rules.js";
import { UserService } from "../users/user-service.js";
import { CliError, parseFlags, runCli, withStore } from "./cli-support.js";
import { readPassword } from "./read-password.js";

const USAGE =
  "usage: npm run user:create -- --username U --email E [--role ADMIN], with the password in USER_PASSWORD or on the first line of standard input";

const HELP = `usage: npm run user:create -- --username U --email E [--role ADMIN]
       node dist/cli/user-create.js --username U --email E [--role ADMIN]   (after npm run build)

Creates a user under the same rules as signUp and prints its id. --role ADMIN makes an admin.
The password comes from USER_PASSWORD, else from the first line of standard input (on a terminal,
a prompt that does not echo); it is never a flag. The store is DATABASE_URL (default
sqlite:./data/auth.db outside production), migrated first; PASSWORD_MIN_LENGTH applies as for
signUp. Exit 0 when the user was made, else 1 with one line naming the problem.`;

/** `npm run user:create`: makes a user under the same rules as signUp; how the first ADMIN is made. */
runCli(
  "user:create",
  async () => {
    const flags = parseFlags(process.argv.slice(2), ["username", "email", "role"], USAGE, HELP);
    if (flags.username === undefined) throw new CliError(`missing --username; ${USAGE}`);
    if (flags.email === undefined) throw new CliError(`missing --email; ${USAGE}`);
    const role = flags.role?.toUpperCase();
    if (role !== undefined && !isRole(role)) throw new CliError(`--role accepts ${ROLES.join(" or ")}`);
    // Checked before asking for a password, so a typo is reported before anything is typed.
    const username = checkUsername(flags.username);
    const email = checkEmail(flags.email);

    const env = readEnvironment();
    const config = loadStoreConfig(env);
    const password = env.USER_PASSWORD || (await readPassword());
    if (!password) throw new CliError("missing password: set USER_PASSWORD or give it on the first line of standard input");

    await withStore(config.databaseUrl, async (store) => {
      await migrateToLatest(store.db, store.dialect);
      const users = new UserService(new UserRepository(store.db), createPasswordHasher(), systemClock, config.passwordMinLength);
      const { user } = await users.create({ username, email, password, roles: role ? [role] : [], emailVerified: true });
      const roles = user.roles.join(",");
      // The audit trail records accounts made outside the API as well (OWASP ASVS 16.3.2).
      const events = new AuthEvents(store.db, systemClock, createLogger("error", pino.destination(2)), store.outage);
      await events.record({ type: "signup", userId: user.id, detail: `user:create with roles ${roles}` });
      console.log(`created user ${user.username} with roles ${roles}; id ${user.id}`);
    });
  },
  { username: "--username", email: "--email", password: "USER_PASSWORD or standard input" },
);
