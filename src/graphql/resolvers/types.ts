import type { AuthPayloadResolvers, LinkedIdentityResolvers, SessionResolvers, UserResolvers } from "../generated/resolvers-types.js";

const iso = (epochMs: number) => new Date(epochMs).toISOString();

export const User: UserResolvers = {
  id: (user) => user.id,
  username: (user) => user.username,
  email: (user) => user.email,
  emailVerified: (user) => user.emailVerified,
  roles: (user) => [...user.roles],
  createdAt: (user) => iso(user.createdAt),
  mfaEnabled: (user, _args, { services }) => services.mfa.isEnabled(user.id),
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
