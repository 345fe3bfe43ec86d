import type { SessionRow } from "../store/tables.js";

/** A session row as the `Session` type resolves it: with whether it is the caller's own. */
export interface SessionModel {
  readonly row: SessionRow;
  readonly current: boolean;
}
