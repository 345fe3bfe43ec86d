import { requireViewer } from "../auth-directive.js";
import type { MutationResolvers } from "../generated/resolvers-types.js";
import { deliver } from "./deliver.js";

export const authMutations: MutationResolvers = {
  signUp: async (_parent, { input }, context) => deliver(context, await context.services.auth.signUp(input, context.client)),

  login: async (_parent, { input }, context) =>
    deliver(context, await context.services.auth.login(input.username, input.password, context.client)),

  refreshToken: async (_parent, _args, context) => {
    const { services, req } = context;
    services.origins.assertCookieRequestAllowed(req);
    // No cookie-clearing on failure: a request that lost a race must not wipe the successor
    // cookie a sibling request has just set.
    return deliver(context, await services.auth.refresh(services.refreshCookie.read(req), context.client));
  },

  logout: async (_parent, _args, context) => {
    const { services, req, res } = context;
    services.origins.assertCookieRequestAllowed(req);
    await services.auth.logout(services.refreshCookie.read(req), context.client);
    services.refreshCookie.clear(res);
    return true;
  },

  logoutAll: async (_parent, _args, context) => {
    const count = await context.services.auth.logoutAll(requireViewer(context), context.client);
    context.services.refreshCookie.clear(context.res);
    return count;
  },

  revokeSession: (_parent, { id }, context) => context.services.auth.revokeSession(requireViewer(context), id, context.client),

  changePassword: async (_parent, { input }, context) =>
    deliver(context, await context.services.auth.changePassword(requireViewer(context), input, context.client)),

  verifyMfa: async (_parent, { input }, context) =>
    deliver(context, await context.services.auth.verifyMfa(input.mfaToken, input.code, context.client)),
};
