import { GraphQLError, type ValidationRule } from "graphql";

/**
 * Refuses `__schema` and `__type` where introspection is off (production by default, OWASP ASVS
 * 4.3.2). It stands in for Apollo's own rule, whose message tells the operator to "pass
 * introspection: true to ApolloServer", a constructor option they cannot reach; this one names the
 * setting that turns it on. `__typename` stays allowed, as clients need it.
 */
export const introspectionOff: ValidationRule = (context) => ({
  Field(node) {
    const name = node.name.value;
    if (name !== "__schema" && name !== "__type") return;
    context.reportError(
      new GraphQLError("GraphQL introspection is off; set ENABLE_INTROSPECTION=true to allow it", {
        nodes: [node],
        extensions: { validationErrorCode: "INTROSPECTION_DISABLED" },
      }),
    );
  },
});
