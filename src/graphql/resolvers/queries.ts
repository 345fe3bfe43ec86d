import { AuthError } from "../../errors.js";
import { requireViewer } from "../auth-directive.js";
import type { QueryResolvers } from "../generated/resolvers-types.js";

export const queries: QueryResolvers = {
  me: async (_parent, _args, context) => {
    const user = await context.services.users.findById(requireViewer(context).userId);
    if (!user) throw AuthError.unauthenticated("SESSION_REVOKED");
    return user;
  },

  sessions: (_parent, _args, context) => context.services.sessions.listActive(requireViewer(context).userId),

  users: (_parent, { limit, offset }, { services }) => services.users.list(limit ?? 50, offset ?? 0),
};
