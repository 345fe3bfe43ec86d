import { getDirective, MapperKind, mapSchema } from "@graphql-tools/utils";
import { defaultFieldResolver, type GraphQLSchema } from "graphql";
import type { Viewer } from "../auth/access-tokens.js";
import type { GraphQLContext } from "../context.js";
import { AuthError } from "../errors.js";
import type { Role } from "../users/roles.js";

/**
 * The viewer of a field guarded by `@auth`, which has already refused anonymous callers; a
 * resolver calls this instead of asserting the viewer is there.
 */
export function requireViewer(context: GraphQLContext): Viewer {
  if (!context.viewer) throw AuthError.unauthenticated(context.authFailure ?? "TOKEN_MISSING");
  return context.viewer;
}

/**
 * Enforces `@auth` in one place: every field marked with it (or on a type marked with it) checks
 * the context's viewer before its resolver runs. A new protected field needs only the directive.
 * USER fields trust the token's roles; a privileged role is read from the store too, so a demoted
 * or deleted administrator loses it at once, not when the token expires (CWE-613).
 */
export function applyAuthDirective(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, _name, typeName) => {
      const type = schema.getType(typeName);
      const directive = getDirective(schema, field, "auth")?.[0] ?? (type ? getDirective(schema, type, "auth")?.[0] : undefined);
      if (!directive) return field;
      const role = directive.requires as Role;
      const resolve = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        resolve: (source, args, context: GraphQLContext, info) => {
          const viewer = requireViewer(context);
          if (!viewer.roles.includes(role)) throw AuthError.forbidden(`Requires the ${role} role`);
          if (role === "USER") return resolve(source, args, context, info);
          return refuseUnlessStoredRole(context, viewer, role).then(() => resolve(source, args, context, info));
        },
      };
    },
  });
}

async function refuseUnlessStoredRole(context: GraphQLContext, viewer: Viewer, role: Role): Promise<void> {
  const user = await context.services.users.findById(viewer.userId);
  if (!user?.roles.includes(role)) throw AuthError.forbidden(`Requires the ${role} role`);
}
