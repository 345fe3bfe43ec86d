import type { RequestHandler } from "express";
import { errorBody } from "./json-errors.js";

// RFC 9110 §8.3.1 media-type = type "/" subtype parameters, with §5.6.2 tokens and §5.6.4 quoted strings.
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[\\t\\x20\\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t\\x20-\\x7e\\x80-\\xff])*"';
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*(?:${TOKEN}=(?:${TOKEN}|${QUOTED}))?)*[ \\t]*$`);

/**
 * Refuses a Content-Type that does not parse, instead of letting lenient parsers guess what it
 * meant (`application/json;;;=` would otherwise be read as JSON), and a POST whose body is not
 * declared as JSON.
 */
export const contentTypeCheck: RequestHandler = (req, res, next) => {
  const type = req.headers["content-type"];
  if (type !== undefined && PLAIN_JSON.has(type)) {
    next();
    return;
  }
  if (type !== undefined && !MEDIA_TYPE.test(type)) {
    res.status(400).json(errorBody("Malformed Content-Type header", "BAD_REQUEST"));
    return;
  }
  if (type !== undefined && !isUtf8IfJson(type)) {
    res.status(415).json(errorBody("A JSON body must be UTF-8 (RFC 8259 §8.1)", "UNSUPPORTED_MEDIA_TYPE"));
    return;
  }
  // Only JSON is ever read. Saying so here beats Apollo's CSRF paragraph, which a client without
  // a Content-Type (curl -d, a bare fetch) would otherwise get. Still a 400: the types a form can
  // send stay refused before any resolver runs (OWASP ASVS 3.5.2).
  if (req.method === "POST" && (type === undefined || !JSON_TYPE.test(type))) {
    res.status(400).json(errorBody("Send the request as JSON, with the header content-type: application/json", "BAD_REQUEST"));
    return;
  }
  next();
};

/** What nearly every GraphQL client sends: well-formed UTF-8 JSON, with nothing left to parse. */
const PLAIN_JSON = new Set(["application/json", "application/json; charset=utf-8", "application/json;charset=utf-8"]);

const CHARSET = /;[ \t]*charset=("?)([^";]*)\1[ \t]*(?=;|$)/gi;

/**
 * RFC 8259 §8.1: JSON exchanged between systems is UTF-8. body-parser would decode any `utf-*`
 * charset it was given, so a body in UTF-16 (or UTF-7) reads differently here than in any proxy or
 * filter in front of us; such a body is refused rather than guessed at. A well-formed type only.
 */
const JSON_TYPE = /^application\/json[ \t]*(;|$)/i;

function isUtf8IfJson(type: string): boolean {
  if (!JSON_TYPE.test(type)) return true;
  return [...type.matchAll(CHARSET)].every((match) => (match[2] ?? "").toLowerCase() === "utf-8");
}
