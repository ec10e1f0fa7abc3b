/**
 * Keeping API keys out of the event stream (README: "any `api_key` cut out"). What counts as a key, and the rules:
 *
 * 1. The body's top-level `api_key` member, where the SDK carries the key, never travels: whatever its value, and
 *    however its name or value is spelled in JSON (`"api\u005fkey"`, `"proj\u005f…"`, `\/`, whitespace around the
 *    colon, the member repeated). A body travelling as sent has that member's value replaced by `null`.
 * 2. The key that authenticated the request (the X-API-Key header or that member) never travels in any string of
 *    the entry either, wherever it sits (an event property named `api_key`, a URL's query, a field validation
 *    ignores): it is the project's credential, not data. A body in which it may appear does not travel as sent; its
 *    validated events do (the v1 entry), with every occurrence replaced by `[redacted]`. Strings that merely look
 *    like keys, and members named `api_key` below the top level holding anything else, are the user's data and stay.
 *
 * Why the text checks are exact: the key's characters (`proj_` + base64url, see server/auth/api-keys.ts) can only be
 * written literally or as `\uXXXX`, so text without `\u` holds the key exactly where its decoded strings do; and
 * JSON.stringify writes them literally, while no escape it writes contains `p` or starts a match (its letters are
 * b f n r t u and hex digits), so a textual replacement in its output replaces exactly the decoded occurrences.
 *
 * Cost: the common body (no `\u` escape, one `"api_key"` member written as JSON.stringify writes it) is cut with
 * three one-character scans (findText: Bun's multi-character search is over ten times slower). Any other body holding
 * the member is re-serialised from its parsed value without it (one JSON.stringify, only for bodies within the
 * 32 KiB that travel as sent, so depth cannot overflow it).
 */

const MEMBER_NAME = '"api_key"';
const REDACTED = "[redacted]";

/**
 * The body's text to carry as sent: without its top-level `api_key` member's value (rule 1), or null when the
 * request's key may still appear in it (rule 2), in which case the caller carries the validated events instead.
 */
export function bodyWithoutApiKey(text: string, body: Record<string, unknown>, apiKey: string | null): string | null {
  let out = text;
  if (Object.hasOwn(body, "api_key")) {
    out = (hasUnicodeEscape(text) ? null : cutSoleMember(text, body.api_key)) ?? serialiseWithout(body);
  }
  if (apiKey !== null && mayContain(out, apiKey)) return null;
  return out;
}

/** An entry built by JSON.stringify with every occurrence of the request's key replaced (rule 2). */
export function redactApiKey(payload: string, apiKey: string | null): string {
  return apiKey !== null && findText(payload, apiKey, 0) !== -1 ? payload.replaceAll(apiKey, REDACTED) : payload;
}

/**
 * `text.indexOf(needle, from)`, found by scanning for the needle's rarest-looking character alone (a native
 * one-character scan) and comparing the whole needle at each hit.
 */
export function findText(text: string, needle: string, from: number): number {
  const anchor = anchorOf(needle);
  const char = needle[anchor]!;
  for (let at = text.indexOf(char, from + anchor); at !== -1; at = text.indexOf(char, at + 1)) {
    if (text.startsWith(needle, at - anchor)) return at - anchor;
  }
  return -1;
}

// The last needle's anchor: a process sees few keys, usually the same one many times in a row.
let lastNeedle = "";
let lastAnchor = 0;
function anchorOf(needle: string): number {
  if (needle === lastNeedle) return lastAnchor;
  let anchor = 0;
  for (let i = 1; i < needle.length; i++)
    if (rarity(needle.charCodeAt(i)) < rarity(needle.charCodeAt(anchor))) anchor = i;
  lastNeedle = needle;
  lastAnchor = anchor;
  return anchor;
}

/** Characters by how seldom they appear in event bodies, rarest first (others rank last). */
const BY_RARITY = "QZXJKVBPYGFWMUCLDRHSNIOATEqzxjkvbpygfwmucldrhsnioate-9876543210_";
const RANK = new Uint8Array(128).fill(255);
for (let i = 0; i < BY_RARITY.length; i++) RANK[BY_RARITY.charCodeAt(i)] = i;
const rarity = (code: number) => (code < 128 ? RANK[code]! : 255);

function hasUnicodeEscape(text: string): boolean {
  for (let at = text.indexOf("\\"); at !== -1; at = text.indexOf("\\", at + 2)) {
    if (text.charCodeAt(at + 1) === 117 /* u */) return true;
  }
  return false;
}

/** findText for `"api_key"`, anchored on its `k`. */
function findMemberName(text: string, from: number): number {
  for (let at = text.indexOf("k", from + 5); at !== -1; at = text.indexOf("k", at + 1)) {
    if (text.startsWith(MEMBER_NAME, at - 5)) return at - 5;
  }
  return -1;
}

const isJsonSpace = (code: number) => code === 32 || code === 9 || code === 10 || code === 13;

/**
 * Where a member named exactly `api_key` starts at or after `from`, or -1. A `"api_key"` not preceded by a backslash
 * opens a string token (an escaped quote is preceded by one, and a closing quote cannot be followed by `api_key`
 * in valid JSON), and it is a member's name when a colon follows.
 */
function memberAt(text: string, from: number): number {
  for (let at = findMemberName(text, from); at !== -1; at = findMemberName(text, at + 1)) {
    if (at > 0 && text.charCodeAt(at - 1) === 92 /* \ */) continue;
    let next = at + MEMBER_NAME.length;
    while (isJsonSpace(text.charCodeAt(next))) next++;
    if (text.charCodeAt(next) === 58 /* : */) return at;
  }
  return -1;
}

/**
 * The text with its one `api_key` member's value replaced by null, for text without `\u` escapes (so the name has
 * no other spelling) holding exactly one member of that name (so it is the top-level one the body has). Null when
 * the text is not like that or the value is not spelled as JSON.stringify spells it.
 */
function cutSoleMember(text: string, value: unknown): string | null {
  const at = memberAt(text, 0);
  if (at === -1 || memberAt(text, at + MEMBER_NAME.length) !== -1) return null;
  let start = text.indexOf(":", at + MEMBER_NAME.length) + 1;
  while (isJsonSpace(text.charCodeAt(start))) start++;
  const written = JSON.stringify(value);
  if (!text.startsWith(written, start)) return null;
  return `${text.slice(0, start)}null${text.slice(start + written.length)}`;
}

/** The body as JSON without its top-level `api_key`; a prototype-less copy keeps an own `__proto__` member one. */
function serialiseWithout(body: Record<string, unknown>): string {
  const copy: Record<string, unknown> = Object.create(null);
  for (const name of Object.keys(body)) if (name !== "api_key") copy[name] = body[name];
  return JSON.stringify(copy);
}

/** Whether the key may be in the text's strings, in any spelling (false positives only cost the v1 form). */
function mayContain(text: string, key: string): boolean {
  if (findText(text, key, 0) !== -1) return true;
  return hasUnicodeEscape(text) && anySpelling(key).test(text);
}

/** Every JSON spelling of the key: each character literal or as `\uXXXX` in either case of hex digits. */
function anySpelling(key: string): RegExp {
  let source = "";
  for (const char of key) {
    const code = char.charCodeAt(0);
    const hex = [...code.toString(16).padStart(4, "0")]
      .map((d) => (d >= "a" ? `[${d}${d.toUpperCase()}]` : d))
      .join("");
    source += `(?:${char.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&")}|\\\\u${hex})`;
  }
  return new RegExp(source);
}
