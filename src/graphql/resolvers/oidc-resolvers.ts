import { requireViewer } from "../auth-directive.js";
import type { MutationResolvers, QueryResolvers } from "../generated/resolvers-types.js";
import { deliver } from "./deliver.js";

export const oidcQueries: QueryResolvers = {
  oidcProviders: (_parent, _args, { services }) => services.oidc.providers(),
  linkedIdentities: (_parent, _args, context) => context.services.oidc.linked(requireViewer(context)),
};

export const oidcMutations: MutationResolvers = {
  startOidcLogin: async (_parent, { provider, redirectUri }, { services, res, client }) => {
    const started = await services.oidc.start(provider, redirectUri, client);
    services.oidcStateCookie.set(res, started.cookie);
    return { url: started.url };
  },

  completeOidcLogin: async (_parent, { input }, context) => {
    const { services, req, res } = context;
    // It reads a cookie and logs the browser in: the same Origin check as refreshToken (login CSRF).
    services.origins.assertCookieRequestAllowed(req);
    const cookie = services.oidcStateCookie.read(req);
    // The pending sign-in is used up by this attempt whatever its outcome, so the cookie goes too.
    if (cookie !== undefined) services.oidcStateCookie.clear(res);
    return deliver(context, await services.oidc.complete(input, cookie, context.client));
  },

  unlinkIdentity: (_parent, { provider }, context) => context.services.oidc.unlink(requireViewer(context), provider, context.client),
};
