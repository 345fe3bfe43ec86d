import { describe, expect, it } from "vitest";
import { ipBucket } from "../src/limits/ip-bucket.js";

describe("ipBucket", () => {
  it("keeps an IPv4 address as it is", () => {
    expect(ipBucket("203.0.113.7")).toBe("203.0.113.7");
    expect(ipBucket("203.0.113.8")).not.toBe(ipBucket("203.0.113.7"));
  });

  it("counts an IPv4-mapped IPv6 address as its IPv4 address, so dual-stack sockets do not double the budget", () => {
    expect(ipBucket("::ffff:1.2.3.4")).toBe("1.2.3.4");
    expect(ipBucket("::FFFF:1.2.3.4")).toBe("1.2.3.4");
    expect(ipBucket("::ffff:0102:0304")).toBe("1.2.3.4");
    expect(ipBucket("0:0:0:0:0:ffff:1.2.3.4")).toBe("1.2.3.4");
  });

  it("puts every address of one /64 in one bucket, so rotating interface ids does not reset the count", () => {
    const bucket = ipBucket("2001:db8:1:2::1");
    expect(bucket).toBe("2001:db8:1:2::/64");
    expect(ipBucket("2001:db8:1:2:ffff:ffff:ffff:ffff")).toBe(bucket);
    expect(ipBucket("2001:0db8:0001:0002:0000:0000:0000:0001")).toBe(bucket);
    expect(ipBucket("2001:DB8:1:2::abcd")).toBe(bucket);
  });

  it("keeps neighbouring /64 networks apart", () => {
    expect(ipBucket("2001:db8:1:3::1")).not.toBe(ipBucket("2001:db8:1:2::1"));
    expect(ipBucket("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(ipBucket("2001:db8:0:1::1")).toBe("2001:db8:0:1::/64");
  });

  it("expands compressed forms wherever the :: falls", () => {
    expect(ipBucket("::1")).toBe("0:0:0:0::/64");
    expect(ipBucket("::")).toBe("0:0:0:0::/64");
    expect(ipBucket("2001:db8:1::")).toBe("2001:db8:1:0::/64");
    expect(ipBucket("2001:db8:1:2:3::")).toBe("2001:db8:1:2::/64");
    expect(ipBucket("2001::2:3:4:5:6")).toBe("2001:0:0:2::/64");
    // A dotted tail fills two groups, so the groups before :: keep their places.
    expect(ipBucket("64:ff9b::198.51.100.1")).toBe("64:ff9b:0:0::/64");
  });

  it("ignores a zone id, which names an interface rather than a host", () => {
    expect(ipBucket("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
  });

  it("returns what is not an address unchanged", () => {
    expect(ipBucket("unknown")).toBe("unknown");
  });
});
