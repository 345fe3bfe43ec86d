import { requireViewer } from "../auth-directive.js";
import type { MutationResolvers } from "../generated/resolvers-types.js";

/** The account's second factor; every one needs an access token (`@auth` in the schema). */
export const mfaMutations: MutationResolvers = {
  beginTotpEnrollment: (_parent, { currentPassword }, context) =>
    context.services.auth.beginTotpEnrollment(requireViewer(context), currentPassword, context.client),

  confirmTotpEnrollment: (_parent, { code }, context) =>
    context.services.auth.confirmTotpEnrollment(requireViewer(context), code.trim(), context.client),

  disableTotp: (_parent, { code }, context) => context.services.auth.disableTotp(requireViewer(context), code, context.client),

  regenerateRecoveryCodes: (_parent, { code }, context) =>
    context.services.auth.regenerateRecoveryCodes(requireViewer(context), code, context.client),
};
