import { ConfigError } from "../config.js";
import { AuthError } from "../errors.js";
import { createLogger } from "../logger.js";
import { openStore, type Store, sqlitePath } from "../store/database.js";

/** A refusal the user can act on; printed as its message alone. */
export class CliError extends Error {
  override readonly name = "CliError";
}

/** `--help` or `-h`: the command prints `help` on standard output and exits 0, doing nothing else. */
class HelpRequested extends Error {
  override readonly name = "HelpRequested";
}

/**
 * `--name value` and `--name=value` flags, each at most once; anything else (unknown flags,
 * positional words, a flag without its value) is refused with the usage line. `--help` or `-h`
 * anywhere asks for `help` instead.
 */
export function parseFlags<Name extends string>(
  argv: readonly string[],
  names: readonly Name[],
  usage: string,
  help: string = usage,
): Partial<Record<Name, string>> {
  if (argv.includes("--help") || argv.includes("-h")) throw new HelpRequested(help);
  const flags: Partial<Record<Name, string>> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? "";
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const name = match?.[1] as Name | undefined;
    if (!match || name === undefined || !names.includes(name)) throw new CliError(`unknown argument ${JSON.stringify(arg)}; ${usage}`);
    if (flags[name] !== undefined) throw new CliError(`--${name} given twice; ${usage}`);
    let value = match[2];
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) throw new CliError(`--${name} needs a value; ${usage}`);
      value = next;
      i += 1;
    }
    flags[name] = value;
  }
  return flags;
}

/** Runs `task` on the store at `url` and always closes it, so the process can exit. */
export async function withStore<T>(url: string, task: (store: Store) => Promise<T>): Promise<T> {
  // A command reports a failure in its one line; the store's outage log has nothing to add.
  const store = await openStore(url, createLogger("silent"));
  try {
    return await task(store);
  } finally {
    await store.close();
  }
}

/** The store's address for messages, without a password that a PostgreSQL URL may carry. */
export function describeStore(url: string): string {
  if (sqlitePath(url) !== undefined) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "the PostgreSQL store";
  }
}

function firstLine(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return firstLine(error.errors[0]);
  if (error instanceof Error) return (error.message || (error as NodeJS.ErrnoException).code || error.name).split("\n")[0] ?? "";
  return String(error);
}

/** How a failure reads on the one line a command prints before it exits 1. */
function describeFailure(error: unknown, fieldHints: Readonly<Record<string, string>>): string {
  if (error instanceof ConfigError) return `config error: ${error.problems.join("; ")}`;
  if (error instanceof AuthError) {
    const hint = error.field !== undefined ? (fieldHints[error.field] ?? error.field) : undefined;
    return hint ? `${error.message} (${hint})` : error.message;
  }
  return firstLine(error);
}

/**
 * Runs a command: exit code 0 when `task` resolves; otherwise one line on stderr naming the reason
 * and exit code 1. The exit code is set rather than forced, so open handles show up as a hang in
 * tests instead of being cut off.
 */
export function runCli(command: string, task: () => Promise<void>, fieldHints: Readonly<Record<string, string>> = {}): void {
  task().then(
    () => {
      process.exitCode = 0;
    },
    (error: unknown) => {
      if (error instanceof HelpRequested) {
        console.log(error.message);
        process.exitCode = 0;
        return;
      }
      console.error(`${command}: ${describeFailure(error, fieldHints)}`);
      process.exitCode = 1;
    },
  );
}
