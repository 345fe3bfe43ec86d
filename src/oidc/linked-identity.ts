/** A provider account linked to a local user, as the schema's `LinkedIdentity` shows it. */
export interface LinkedIdentity {
  readonly provider: string;
  /** The address the provider gave when the identity was linked; shown, never used to log in. */
  readonly email: string | null;
  /** Epoch milliseconds. */
  readonly linkedAt: number;
}
