import { defaultFieldResolver, type GraphQLField, type GraphQLSchema, isObjectType, valueFromASTUntyped } from "graphql";
import type { Role } from "../auth/access-tokens.js";
import type { GraphQLContext } from "../context.js";
import { AuthError } from "../errors.js";

/** The role an `@auth` on the field (or on its type) asks for, if any. */
function requiredRole(
  nodes: readonly {
    directives?: readonly { name: { value: string }; arguments?: readonly { name: { value: string }; value: unknown }[] }[];
  }[],
): Role | undefined {
  for (const node of nodes) {
    const directive = node.directives?.find((d) => d.name.value === "auth");
    if (!directive) continue;
    const argument = directive.arguments?.find((a) => a.name.value === "requires");
    return argument ? (valueFromASTUntyped(argument.value as never) as Role) : "USER";
  }
  return undefined;
}

/**
 * Enforces `@auth` in one place: every field marked with it (or on a type marked with it) checks
 * the context's viewer before its resolver runs. A new protected field needs only the directive.
 */
export function applyAuthDirective(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields()) as GraphQLField<unknown, GraphQLContext>[]) {
      const role = requiredRole([
        ...(field.astNode ? [field.astNode] : []),
        ...(type.astNode ? [type.astNode] : []),
        ...type.extensionASTNodes,
      ] as never);
      if (!role) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        if (!context.viewer) throw AuthError.unauthenticated(context.authFailure ?? "TOKEN_MISSING");
        if (!context.viewer.roles.includes(role)) throw AuthError.forbidden(`Requires the ${role} role`);
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}
