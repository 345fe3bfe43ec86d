/** One `Set-Cookie` line, split into its parts, for checking attributes the way a browser reads them. */
export interface SetCookie {
  readonly name: string;
  readonly value: string;
  /** Attribute names lower-cased; flags such as `HttpOnly` map to `true`. */
  readonly attributes: ReadonlyMap<string, string | true>;
}

export function parseSetCookie(line: string): SetCookie {
  const [pair = "", ...parts] = line.split(";");
  const eq = pair.indexOf("=");
  const attributes = new Map<string, string | true>();
  for (const part of parts) {
    const at = part.indexOf("=");
    if (at === -1) attributes.set(part.trim().toLowerCase(), true);
    else attributes.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}

/** The last `Set-Cookie` for `name` in a response, as a browser would keep it. */
export function findSetCookie(lines: readonly string[], name: string): SetCookie | undefined {
  return lines
    .map(parseSetCookie)
    .filter((cookie) => cookie.name === name)
    .at(-1);
}

/** True when a browser would drop the cookie at once: `Max-Age` of zero or less, or `Expires` in the past. */
export function isClearing(cookie: SetCookie): boolean {
  const maxAge = cookie.attributes.get("max-age");
  if (typeof maxAge === "string") return Number(maxAge) <= 0;
  const expires = cookie.attributes.get("expires");
  return typeof expires === "string" && Date.parse(expires) <= Date.now();
}
