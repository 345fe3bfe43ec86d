import { readFileSync } from "node:fs";
import { makeExecutableSchema } from "@graphql-tools/schema";
import { GraphQLError, GraphQLScalarType, type GraphQLSchema, Kind } from "graphql";
import { applyAuthDirective } from "./auth-directive.js";
import type { Resolvers } from "./generated/resolvers-types.js";
import { accountMutations } from "./resolvers/account-mutations.js";
import { authMutations } from "./resolvers/auth-mutations.js";
import { mfaMutations } from "./resolvers/mfa-mutations.js";
import { oidcMutations, oidcQueries } from "./resolvers/oidc-resolvers.js";
import { queries } from "./resolvers/queries.js";
import { AuthPayload, LinkedIdentity, Session, User } from "./resolvers/types.js";

const DateTime = new GraphQLScalarType({
  name: "DateTime",
  description: "ISO-8601 date and time in UTC",
  serialize: (value) => value,
  parseValue: (value) => {
    if (typeof value !== "string" || Number.isNaN(Date.parse(value))) throw new GraphQLError("DateTime must be an ISO-8601 string");
    return new Date(value).toISOString();
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || Number.isNaN(Date.parse(ast.value))) throw new GraphQLError("DateTime must be an ISO-8601 string");
    return new Date(ast.value).toISOString();
  },
});

const resolvers: Resolvers = {
  Query: { ...queries, ...oidcQueries },
  Mutation: { ...authMutations, ...oidcMutations, ...mfaMutations, ...accountMutations },
  User,
  AuthPayload,
  Session,
  LinkedIdentity,
  DateTime,
};

/** schema.graphql, the contract, with its resolvers and `@auth` enforced. */
export function buildSchema(schemaPath = new URL("../../schema.graphql", import.meta.url)): GraphQLSchema {
  const typeDefs = readFileSync(schemaPath, "utf8");
  return applyAuthDirective(makeExecutableSchema({ typeDefs, resolvers: resolvers as never }));
}
