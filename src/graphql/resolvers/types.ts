import type { AuthPayloadResolvers, LinkedIdentityResolvers, SessionResolvers, UserResolvers } from "../generated/resolvers-types.js";
import { storedUser } from "./user-parent.js";

const iso = (epochMs: number) => new Date(epochMs).toISOString();

export const User: UserResolvers = {
  id: (user) => user.id,
  username: (user) => user.username,
  email: async (user) => (await storedUser(user)).email,
  emailVerified: async (user) => (await storedUser(user)).emailVerified,
  roles: async (user) => [...(await storedUser(user)).roles],
  createdAt: async (user) => iso((await storedUser(user)).createdAt),
  mfaEnabled: async (user, _args, { services }) => services.mfa.isEnabled((await storedUser(user)).id),
};

export const AuthPayload: AuthPayloadResolvers = {
  accessToken: (result) => result.accessToken,
  tokenType: () => "Bearer",
  expiresIn: (result) => result.expiresIn,
  user: (result) => result.user,
};

export const Session: SessionResolvers = {
  id: (session) => session.id,
  createdAt: (session) => iso(session.createdAt),
  lastUsedAt: (session) => iso(session.lastUsedAt),
  expiresAt: (session) => iso(session.expiresAt),
  userAgent: (session) => session.userAgent,
  ipAddress: (session) => session.ipAddress,
  // `sessions` needs an access token (@auth), so the viewer is there.
  current: (session, _args, { viewer }) => session.id === viewer?.sessionId,
};

export const LinkedIdentity: LinkedIdentityResolvers = {
  provider: (identity) => identity.provider,
  email: (identity) => identity.email,
  linkedAt: (identity) => iso(identity.linkedAt),
};
