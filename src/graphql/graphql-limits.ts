import { ApolloArmor } from "@escape.tech/graphql-armor";
import type { Config } from "../config.js";

export const MAX_DEPTH = 10;
export const MAX_ALIASES = 15;
export const MAX_COST = 5000;
export const MAX_TOKENS = 2000;
export const MAX_DIRECTIVES = 50;

/**
 * Limits that refuse an abusive operation before any resolver runs (OWASP ASVS 4.3.1 and 4.3.2).
 * The token limit uses graphql-js's own parser option rather than graphql-armor's plugin, which
 * turns ordinary syntax errors into HTTP 500 on Apollo Server 5.
 */
export function graphqlLimits(config: Config) {
  const armor = new ApolloArmor({
    maxTokens: { enabled: false },
    maxDepth: { n: MAX_DEPTH, ignoreIntrospection: true, exposeLimits: true },
    maxAliases: { n: MAX_ALIASES, exposeLimits: true },
    costLimit: { maxCost: MAX_COST, exposeLimits: true },
    maxDirectives: { n: MAX_DIRECTIVES, exposeLimits: true },
    blockFieldSuggestion: { enabled: config.isProduction },
  });
  const { plugins, validationRules } = armor.protect();
  return { plugins, validationRules, parseOptions: { maxTokens: MAX_TOKENS } };
}
