/**
 * Countries from known addresses in the shipped database (@ip-location-db/geo-whois-asn-country-mmdb
 * 2.3.2026061719, built 2026-06-17; pinned in package.json, so these hold until the pin moves). The addresses are
 * well-known, long-stable allocations: 8.8.8.8 and 2001:4860:4860::8888 (Google DNS, US), 1.1.1.1 (APNIC/Cloudflare,
 * AU), 81.2.69.142 (MaxMind's own GB test address), 193.0.14.129 (k.root-servers.net, RIPE NCC, NL), 133.11.0.1
 * (University of Tokyo, JP), 200.160.0.8 (NIC.br, BR), 195.154.0.1 (Scaleway, FR), 2001:67c:2e8::1 (RIPE NCC, NL).
 */
import { describe, expect, it } from "bun:test";
import { statSync } from "node:fs";
import { CountryLookup, SHIPPED_COUNTRY_DATABASE } from "./country-lookup.ts";

const lookup = CountryLookup.open();

const KNOWN: Array<[string, string]> = [
  ["8.8.8.8", "US"],
  ["1.1.1.1", "AU"],
  ["81.2.69.142", "GB"],
  ["193.0.14.129", "NL"],
  ["133.11.0.1", "JP"],
  ["200.160.0.8", "BR"],
  ["195.154.0.1", "FR"],
  ["2001:4860:4860::8888", "US"],
  ["2001:67c:2e8::1", "NL"],
];

describe("CountryLookup", () => {
  it("ships the combined IPv4 and IPv6 database in the npm package", () => {
    expect(statSync(SHIPPED_COUNTRY_DATABASE).size).toBeGreaterThan(5_000_000);
    expect(lookup.builtAt.getUTCFullYear()).toBeGreaterThanOrEqual(2026);
  });

  for (const [ip, country] of KNOWN) {
    it(`finds ${country} for ${ip}`, () => {
      expect(lookup.country(ip)).toBe(country);
    });
  }

  it("reads an IPv4 address in its IPv6-mapped form (how dual-stack sockets report it)", () => {
    expect(lookup.country("::ffff:8.8.8.8")).toBe("US");
  });

  it("has no country for private, loopback and malformed addresses", () => {
    for (const ip of [
      "127.0.0.1",
      "10.1.2.3",
      "172.20.0.5",
      "192.168.0.1",
      "100.64.1.1",
      "169.254.1.1",
      "::1",
      "fe80::1",
      "fd12:3456::1",
      "::ffff:192.168.0.1",
      "unknown",
      "",
      "not an ip",
      "1.2.3",
    ]) {
      expect(lookup.country(ip)).toBeNull();
    }
  });

  it("answers the same from its cache", () => {
    expect(lookup.country("81.2.69.142")).toBe("GB");
    expect(lookup.country("81.2.69.142")).toBe("GB");
  });

  it("refuses a file that is not an mmdb database, naming it", () => {
    expect(() => CountryLookup.open(import.meta.path)).toThrow(/country-lookup\.test\.ts/);
  });
});
