import type { PostgresPool, PostgresPoolClient } from "kysely";
import type pg from "pg";
import { preparedNameOf } from "./compiled-once.js";

/**
 * The pool Kysely uses, with the compiled-once queries (the reads and writes of every `me` and
 * refresh) sent as named prepared statements: PostgreSQL parses and plans each once per
 * connection instead of on every call. Measured with node-postgres against this machine's
 * server: 10,700-12,100 primary-key reads a second unnamed, 16,100-17,600 named (issue 8).
 * Other queries go as Kysely sends them. A connection pooler in transaction mode must support
 * protocol-level prepared statements (PgBouncer 1.21 and later, with max_prepared_statements);
 * DATABASE_PREPARED_STATEMENTS=false turns this off for one that does not.
 */
export function withNamedStatements(pool: pg.Pool): PostgresPool {
  // Kysely keeps per-connection state keyed by the client object: one wrapper per pg client.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    query: ((sqlOrCursor: string | object, parameters?: readonly unknown[]) => {
      // A cursor (Kysely's streaming, unused here) passes through as it came.
      if (typeof sqlOrCursor !== "string") return client.query(sqlOrCursor as never);
      const name = preparedNameOf(sqlOrCursor);
      // Kysely hands over a fresh array for each query: no copy needed.
      const values = parameters as unknown[];
      return name === undefined ? client.query(sqlOrCursor, values) : client.query({ name, text: sqlOrCursor, values });
    }) as unknown as PostgresPoolClient["query"],
    release: (destroy?: boolean) => client.release(destroy),
  });
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (wrapper === undefined) {
        wrapper = wrap(client);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}
