import type { Viewer } from "../auth/access-tokens.js";
import type { ClientInfo } from "../auth/client-info.js";
import { mails } from "../mail/mail-templates.js";
import type { AccountDeps } from "./account-deps.js";

/**
 * Erasure on request (GDPR Art. 17): the account, its sessions, links and pending mail go; the
 * audit trail stays, stripped of the IP addresses and user agents that could identify the person
 * (it never held the username or email). The username and email are free again at once.
 */
export class AccountDeletionService {
  constructor(private readonly deps: AccountDeps) {}

  /** Checks the password like changePassword does (counted with this account's failed logins), then deletes. */
  async delete(viewer: Viewer, currentPassword: string, totpCode: string | null | undefined, client: ClientInfo): Promise<true> {
    const { user } = (await this.deps.proof.prove(viewer, currentPassword, totpCode, client, "delete_account")).account;
    // Announced before the rows go, so every instance refuses the access tokens within a second.
    await this.deps.sessions.endAll(user.id, "account_deleted", client);
    await this.deps.db.transaction().execute(async (trx) => {
      await this.deps.outbox.forget(trx, user.id);
      await this.deps.events.forget(trx, user.id);
      // Sessions and links go with the user row (ON DELETE CASCADE).
      await this.deps.userRows.delete(user.id, trx);
      // Not tied to the account, so nothing later mistakes it for the account's pending mail.
      await this.deps.outbox.enqueue(trx, null, "account_deleted", mails.accountDeleted(user.email));
    });
    this.deps.outbox.wake();
    await this.deps.events.record({ type: "account_deleted", userId: user.id });
    return true;
  }
}
