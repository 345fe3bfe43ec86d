import { requireViewer } from "../auth-directive.js";
import type { MutationResolvers } from "../generated/resolvers-types.js";

/** The account lifecycle: password reset, email verification and change, deletion. */
export const accountMutations: MutationResolvers = {
  requestPasswordReset: (_parent, { email }, context) => context.services.passwordReset.request(email, context.client),

  resetPassword: (_parent, { input }, context) => context.services.passwordReset.reset(input.token, input.newPassword, context.client),

  verifyEmail: (_parent, { token }, context) => context.services.emailVerification.verify(token, context.client),

  resendVerificationEmail: (_parent, _args, context) => context.services.emailVerification.resend(requireViewer(context)),

  requestEmailChange: (_parent, { input }, context) =>
    context.services.emailVerification.requestChange(requireViewer(context), input, context.client),

  deleteAccount: (_parent, { currentPassword, totpCode }, context) =>
    context.services.accountDeletion.delete(requireViewer(context), currentPassword, totpCode, context.client),
};
