/**
 * How a country code (ISO 3166-1 alpha-2, the `country` dimension) is shown: its flag, made of two regional
 * indicator symbols (so no image is fetched and nothing is rendered as HTML), and its name in the browser's
 * language. Codes come from tracked data: anything that is not two letters A-Z gets no flag and is shown as sent.
 */
const ALPHA2 = /^[A-Z]{2}$/;
const REGIONAL_INDICATOR_A = 0x1f1e6;

/** "🇩🇪" for "DE"; "" for anything that is not an alpha-2 code. */
export function countryFlag(code: string): string {
  if (!ALPHA2.test(code)) return "";
  return String.fromCodePoint(
    REGIONAL_INDICATOR_A + code.charCodeAt(0) - 65,
    REGIONAL_INDICATOR_A + code.charCodeAt(1) - 65,
  );
}

let names: Intl.DisplayNames | null = null;

function regionNames(locale?: string): Intl.DisplayNames {
  if (locale) return new Intl.DisplayNames([locale], { type: "region" });
  if (!names) names = new Intl.DisplayNames(undefined, { type: "region" });
  return names;
}

/** "Germany" for "DE" (in the browser's language); the code itself when the runtime has no name for it. */
export function countryName(code: string, locale?: string): string {
  if (!ALPHA2.test(code)) return code;
  try {
    return regionNames(locale).of(code) ?? code;
  } catch {
    // A runtime without region names (or a code it refuses): the code says enough.
    return code;
  }
}
