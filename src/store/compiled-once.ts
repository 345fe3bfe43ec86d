import { type Compilable, CompiledQuery, type Kysely, type QueryResult } from "kysely";

/** The SQL of every compiled-once query, with the name PostgreSQL prepares it under. */
const preparedNames = new Map<string, string>();

/**
 * The name a compiled-once query is prepared under on PostgreSQL (named-statements.ts), or
 * undefined for any other SQL. The same text gets the same name in every store of the process.
 */
export function preparedNameOf(sql: string): string | undefined {
  return preparedNames.get(sql);
}

/**
 * A query Kysely builds and compiles once, then runs with fresh parameters. Kysely builds and
 * compiles every query anew; for the few that run on every request (the user `me` reads; the
 * session read, compare-and-set and audit row of a refresh) that work showed in the profile
 * (issue 8: about 2% of a `me`, 5% of a refresh). `build` receives the placeholder values, which
 * must come out as the compiled query's bound parameters, in order and each once (so a value used
 * twice needs two placeholders); anything else is refused at start.
 */
export function compiledOnce<Row, Params extends readonly unknown[]>(
  db: Kysely<any>,
  build: (...placeholders: Params) => Compilable<Row>,
  placeholders: Params,
): CompiledOnce<Row, Params> {
  const { sql, parameters } = build(...placeholders).compile();
  if (parameters.length !== placeholders.length || parameters.some((value, index) => value !== placeholders[index])) {
    throw new Error(`compiledOnce: the placeholders are not the parameters of ${sql}`);
  }
  if (!preparedNames.has(sql)) preparedNames.set(sql, `hot_${preparedNames.size + 1}`);
  const on =
    (executor: Kysely<any>) =>
    (...params: Params) =>
      executor.executeQuery<Row>(CompiledQuery.raw(sql, [...params]));
  return Object.assign(on(db), { on });
}

/** A compiled-once query: run it on its store, or `on` a transaction of that store. */
export interface CompiledOnce<Row, Params extends readonly unknown[]> {
  (...params: Params): Promise<QueryResult<Row>>;
  on(executor: Kysely<any>): (...params: Params) => Promise<QueryResult<Row>>;
}
