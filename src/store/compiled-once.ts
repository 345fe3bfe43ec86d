import { type Compilable, CompiledQuery, type Kysely } from "kysely";

/**
 * A query Kysely builds and compiles once, then runs with fresh parameters. Kysely builds and
 * compiles every query anew; for the few that run on every request (the user `me` reads, the
 * session a refresh reads) that work showed in the profile (issue 8: about 2% of a request).
 * `build` receives the placeholder values, which must come out as the compiled query's bound
 * parameters, in order; anything else is refused at start.
 */
export function compiledOnce<Row, Params extends readonly unknown[]>(
  db: Kysely<any>,
  build: (...placeholders: Params) => Compilable<Row>,
  placeholders: Params,
): (...params: Params) => Promise<Row[]> {
  const { sql, parameters } = build(...placeholders).compile();
  if (parameters.length !== placeholders.length || parameters.some((value, index) => value !== placeholders[index])) {
    throw new Error(`compiledOnce: the placeholders are not the parameters of ${sql}`);
  }
  return async (...params) => (await db.executeQuery<Row>(CompiledQuery.raw(sql, [...params]))).rows;
}
