/** Where a request came from, as recorded on sessions and audit events. */
export interface ClientInfo {
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** The request's id (X-Request-Id), for log lines; never stored. Absent outside a request. */
  readonly requestId?: string;
}
