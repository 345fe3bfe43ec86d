export * from "../generated/operations.js";
export { type AuthFetch, type AuthFetchOptions, createAuthFetch, RefreshFailedError } from "./auth-fetch.js";
export type { SessionEndReason } from "./graphql-answer.js";
