import { isIPv4, isIPv6 } from "node:net";

/**
 * The key a client's address is counted under. One IPv6 host usually holds a whole /64 (RFC 7421),
 * so counting per address would let it rotate through 2^64 of them; an IPv4-mapped IPv6 address
 * (`::ffff:1.2.3.4`, in either notation) counts as its IPv4 address. Anything that is not an
 * address is returned unchanged; requests whose address is unknown share one bucket.
 */
export function ipBucket(ip: string | null): string {
  if (ip === null) return "unknown";
  const address = ip.replace(/%.*$/, ""); // a zone id names an interface, not a host
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return ip;
  const groups = expandIPv6(address);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, with `::` and a dotted IPv4 tail expanded. */
function expandIPv6(address: string): number[] {
  const toGroups = (part: string): number[] =>
    part === ""
      ? []
      : part.split(":").flatMap((piece) => {
          if (!piece.includes(".")) return [Number.parseInt(piece, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = piece.split(".").map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head = "", tail] = address.split("::");
  const headGroups = toGroups(head);
  const tailGroups = tail === undefined ? [] : toGroups(tail);
  const zeros = Array<number>(8 - headGroups.length - tailGroups.length).fill(0);
  return [...headGroups, ...zeros, ...tailGroups];
}
