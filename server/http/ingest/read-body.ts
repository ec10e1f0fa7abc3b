/**
 * Reads a request body as text without ever holding more than `maxBytes`: a declared Content-Length above the limit
 * is refused before reading; a chunked body is counted as it streams and the read stops at the first chunk past the
 * limit. Invalid UTF-8 decodes to U+FFFD, as browsers do, so bad bytes cannot fail anything downstream.
 */

export type BodyResult = { ok: true; text: string; bytes: number } | { ok: false; status: 400 | 413; message: string };

export async function readBoundedText(request: Request, maxBytes: number): Promise<BodyResult> {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    const length = Number(declared);
    if (!Number.isSafeInteger(length) || length < 0) {
      return { ok: false, status: 400, message: "Content-Length is not a valid length." };
    }
    if (length > maxBytes) return tooLarge(maxBytes);
    // The HTTP parser frames the body by Content-Length, so reading it whole reads at most `length` bytes.
    const text = await request.text();
    return { ok: true, text, bytes: length };
  }

  const body = request.body;
  if (!body) return { ok: true, text: "", bytes: 0 };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      // We answer 413 whatever happens to the rest of the body; a failed cancel only means the client already left.
      await reader.cancel().catch(() => undefined);
      return tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const joined = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  return { ok: true, text: new TextDecoder().decode(joined), bytes: total };
}

function tooLarge(maxBytes: number): BodyResult {
  return { ok: false, status: 413, message: `Request bodies are limited to ${maxBytes} bytes.` };
}
