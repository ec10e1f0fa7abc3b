/**
 * The per-request ingest cost of the country lookup (server/http/ingest/country-lookup.ts), one request = one
 * lookup of its client IP: uncached (every address new, a walk of the mmdb tree) and cached (a returning visitor,
 * the usual case within a burst). `bun bench/country-lookup.ts`.
 */
import { CountryLookup } from "../server/http/ingest/country-lookup.ts";

const N = 200_000;
const openedAt = performance.now();
const lookup = CountryLookup.open();
const openMs = performance.now() - openedAt;

// Public-looking addresses spread over the space, each distinct (more than the cache holds, so none is cached).
const addresses = Array.from(
  { length: N },
  (_, i) => `${11 + (i % 200)}.${(i >>> 8) & 255}.${i & 255}.${(i * 37) & 255}`,
);
const v6 = Array.from(
  { length: N / 4 },
  (_, i) => `2a0${i % 10}:${(i * 7919).toString(16)}::${(i & 0xffff).toString(16)}`,
);

function perCall(list: readonly string[]): number {
  let found = 0;
  const start = performance.now();
  for (const ip of list) if (lookup.country(ip)) found++;
  const us = ((performance.now() - start) * 1000) / list.length;
  if (found === 0) throw new Error("no address had a country: the benchmark measures nothing");
  return us;
}

perCall(addresses.slice(0, 20_000)); // warm up the JIT
const uncachedV4 = perCall(addresses);
const uncachedV6 = perCall(v6);
const hot = addresses.slice(0, 1_000);
const cached = perCall(Array.from({ length: N }, (_, i) => hot[i % hot.length]!));
console.log(
  JSON.stringify({
    openMs: Math.round(openMs),
    uncachedV4Us: +uncachedV4.toFixed(2),
    uncachedV6Us: +uncachedV6.toFixed(2),
    cachedUs: +cached.toFixed(3),
  }),
);
