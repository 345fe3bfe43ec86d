import { ApolloArmor } from "@escape.tech/graphql-armor";
import { GraphQLError, type ValidationContext } from "graphql";
import type { Config } from "../config.js";
import { introspectionOff } from "./introspection-rule.js";

export const MAX_DEPTH = 10;
export const MAX_ALIASES = 15;
const MAX_COST = 5000;
export const MAX_TOKENS = 2000;
const MAX_DIRECTIVES = 50;

/**
 * graphql-armor prefixes its refusals with "Syntax Error:", which they are not. Reporting them on
 * the validation context (rather than throwing) lets Apollo answer a 400 GRAPHQL_VALIDATION_FAILED.
 */
const report = [
  (context: ValidationContext | null, error: GraphQLError) => {
    context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, "")));
  },
];

/**
 * Limits that refuse an abusive operation before any resolver runs (OWASP ASVS 4.3.1 and 4.3.2).
 * The token limit uses graphql-js's own parser option rather than graphql-armor's plugin, which
 * turns ordinary syntax errors into HTTP 500 on Apollo Server 5. Apollo's own
 * `maxRecursiveSelections` runs first; these rules run only on documents that pass it, so a
 * fragment fan-out never reaches the cost walk.
 */
export function graphqlLimits(config: Config) {
  const rejection = { propagateOnRejection: false, onReject: report, exposeLimits: true };
  const armor = new ApolloArmor({
    maxTokens: { enabled: false },
    // The standard introspection query nests deeper than 10; it is exempt only where it is allowed.
    maxDepth: { n: MAX_DEPTH, ignoreIntrospection: config.enableIntrospection, ...rejection },
    maxAliases: { n: MAX_ALIASES, ...rejection },
    costLimit: { maxCost: MAX_COST, ignoreIntrospection: config.enableIntrospection, ...rejection },
    maxDirectives: { n: MAX_DIRECTIVES, ...rejection },
    // Off: its Apollo plugin would cost every request a listener; the error formatter drops field
    // suggestions in production instead (error-formatter.ts).
    blockFieldSuggestion: { enabled: false },
  });
  const { plugins, validationRules } = armor.protect();
  // Every limit above is a validation rule; a plugin here would run on every request.
  if (plugins.length > 0) throw new Error("graphql-armor returned Apollo plugins; see request-plugin.ts before adding any");
  if (!config.enableIntrospection) validationRules.push(introspectionOff);
  return { validationRules, parseOptions: { maxTokens: MAX_TOKENS } };
}
