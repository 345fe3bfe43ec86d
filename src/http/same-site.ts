import { isIP } from "node:net";

/**
 * The "site" of an origin as browsers decide SameSite: the scheme and the registrable domain
 * (RFC 6265bis §5.2, schemeful same-site). An IP address or a single-label host such as
 * `localhost` is its own site. Without the Public Suffix List the registrable domain is taken as
 * the last two labels: under a multi-label suffix (`co.uk`, `github.io`) two sites may look like
 * one, so a warning built on this can be missed but never raised wrongly.
 */
export function siteOf(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "");
  const labels = host.split(".");
  const registrable = isIP(host) !== 0 || labels.length <= 2 ? host : labels.slice(-2).join(".");
  return `${url.protocol}//${registrable.toLowerCase()}`;
}

/** Whether a browser would treat a request from `origin` to `target` as cross-site. */
export function isCrossSite(origin: string, target: string): boolean {
  const a = siteOf(origin);
  const b = siteOf(target);
  return a === undefined || b === undefined || a !== b;
}
