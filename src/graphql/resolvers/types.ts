import { rolesOf } from "../../users/user-service.js";
import type { AuthPayloadResolvers, LinkedIdentityResolvers, SessionResolvers, UserResolvers } from "../generated/resolvers-types.js";

const iso = (epochMs: number) => new Date(epochMs).toISOString();

export const User: UserResolvers = {
  id: (user) => user.id,
  username: (user) => user.username,
  email: (user) => user.email,
  emailVerified: (user) => user.email_verified === 1,
  roles: (user) => rolesOf(user),
  createdAt: (user) => iso(user.created_at),
  mfaEnabled: (user, _args, { services }) => services.mfa.isEnabled(user.id),
};

export const AuthPayload: AuthPayloadResolvers = {
  accessToken: (result) => result.accessToken,
  tokenType: () => "Bearer",
  expiresIn: (result) => result.expiresIn,
  user: (result) => result.user,
};

export const Session: SessionResolvers = {
  id: ({ row }) => row.id,
  createdAt: ({ row }) => iso(row.created_at),
  lastUsedAt: ({ row }) => iso(row.last_used_at),
  expiresAt: ({ row }) => iso(row.expires_at),
  userAgent: ({ row }) => row.user_agent,
  ipAddress: ({ row }) => row.ip_address,
  current: (session) => session.current,
};

export const LinkedIdentity: LinkedIdentityResolvers = {
  provider: (identity) => identity.provider,
  email: (identity) => identity.email,
  linkedAt: (identity) => iso(identity.created_at),
};
