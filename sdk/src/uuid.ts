/**
 * UUIDv7 (RFC 9562): a 48-bit Unix millisecond timestamp followed by random bits. Every event gets one as its
 * `insert_id` when it is created; time order keeps the server's (project_id, insert_id) index compact.
 * Uses getRandomValues rather than crypto.randomUUID, which only exists in secure contexts.
 */
export const uuidv7 = (
  ms: number = Date.now(),
  bytes: Uint8Array = crypto.getRandomValues(new Uint8Array(16)),
): string => {
  let id = "";
  // `x / 2 ** n & 255` is floor(x / 2^n) mod 256: ToInt32 truncates and keeps the low 32 bits, exact below 2^53.
  for (let i = 0; i < 6; i++) bytes[i] = (ms / 2 ** (40 - 8 * i)) & 255;
  bytes[6] = (bytes[6]! & 15) | 112;
  bytes[8] = (bytes[8]! & 63) | 128;
  bytes.forEach((b, i) => {
    id += (i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "") + (b + 256).toString(16).slice(1);
  });
  return id;
};
