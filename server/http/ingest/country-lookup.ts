/**
 * The client's country from its IP, at the ingest edge, with an offline MaxMind-format database read into memory
 * once per process: by default the CC0 `@ip-location-db/geo-whois-asn-country-mmdb` package's combined IPv4+IPv6
 * file (about 7.8 MB, records `{ country_code }`), or a file the operator names in GEOIP_DATABASE (a GeoLite2
 * Country or City file, records `{ country: { iso_code } }`, is read the same way). Only the ISO 3166-1 alpha-2 code
 * is kept: the IP is hashed as before and never stored, and the cache of recent answers lives in this process only.
 * Private, loopback, link-local, shared (CGNAT), multicast and malformed addresses have no country (null), checked
 * here: the whois-derived database answers some of them (192.168.0.1 came back AU) and its reader accepts short
 * forms such as "1.2.3". A lookup costs a few µs uncached (a walk of the
 * database's binary tree) and well under 1 µs from the cache (country-lookup.bench.ts).
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { Reader, type Response } from "mmdb-lib";
import { BoundedCache } from "./enrich.ts";

/** The shipped database's file, resolved inside its npm package. */
export const SHIPPED_COUNTRY_DATABASE = Bun.resolveSync(
  "@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb",
  import.meta.dir,
);

/**
 * What a record may hold: ip-location-db's `country_code`, or GeoLite2's `country.iso_code`. mmdb-lib types records
 * as MaxMind's responses; ip-location-db's shape is none of them, so records are read as unknown and checked here.
 */
type CountryRecord = { country_code?: unknown; country?: { iso_code?: unknown } };

const ALPHA2 = /^[A-Z]{2}$/;
const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

export class CountryLookup {
  private readonly cache = new BoundedCache<string | null>(10_000);

  private constructor(private readonly reader: Reader<Response>) {}

  /** Reads the database at `path` (default: the shipped one); throws naming the file when it is not an mmdb. */
  static open(path: string = SHIPPED_COUNTRY_DATABASE): CountryLookup {
    let reader: Reader<Response>;
    try {
      reader = new Reader<Response>(readFileSync(path));
    } catch (error) {
      throw new Error(`cannot read the IP country database ${path}: ${(error as Error).message}`, { cause: error });
    }
    return new CountryLookup(reader);
  }

  /** The database's build time (its metadata), for the startup log. */
  get builtAt(): Date {
    return this.reader.metadata.buildEpoch;
  }

  /** The ISO alpha-2 code of the address's country, or null (unknown, private, malformed or "unknown"). */
  country(ip: string): string | null {
    const cached = this.cache.get(ip);
    if (cached !== undefined) return cached;
    return this.cache.set(ip, this.lookup(ip));
  }

  private lookup(ip: string): string | null {
    const address = IPV4_MAPPED.exec(ip)?.[1] ?? ip;
    const version = isIP(address);
    if (version === 0 || (version === 4 ? isNonPublicV4(address) : isNonPublicV6(address))) return null;
    let record: CountryRecord | null;
    try {
      record = this.reader.get(address) as CountryRecord | null;
    } catch {
      // Not an IP address (a test's "unknown", a proxy header with garbage): no country, nothing to report.
      return null;
    }
    const code = record?.country_code ?? record?.country?.iso_code;
    return typeof code === "string" && ALPHA2.test(code) ? code : null;
  }
}

/** 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.168/16, 224/3 (multicast and reserved). */
function isNonPublicV4(address: string): boolean {
  const [a = 0, b = 0] = address.split(".", 2).map(Number);
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    a >= 224 ||
    (a === 100 && b >= 64 && b < 128) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168)
  );
}

/** ::, ::1, fc00::/7 (unique local), fe80::/10 (link-local), ff00::/8 (multicast). */
function isNonPublicV6(address: string): boolean {
  const lower = address.toLowerCase();
  if (lower === "::" || lower === "::1") return true;
  const first = Number.parseInt(lower.split(":", 1)[0] || "0", 16);
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xff00) === 0xff00;
}
