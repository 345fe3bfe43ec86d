import { requireViewer } from "../auth-directive.js";
import type { QueryResolvers } from "../generated/resolvers-types.js";
import { signedInUser } from "./user-parent.js";

export const queries: QueryResolvers = {
  me: (_parent, _args, context) => signedInUser(requireViewer(context), (id) => context.services.users.findById(id)),

  sessions: (_parent, _args, context) => context.services.sessions.listActive(requireViewer(context).userId),

  users: (_parent, { limit, offset }, { services }) => services.users.list(limit ?? 50, offset ?? 0),
};
