import { describe, expect, it } from "bun:test";
import { sign } from "hono/jwt";
import { issueToken, verifyToken } from "./tokens.ts";

const SECRET = "a-test-secret-key-that-is-long-enough-0123456789";
const subject = { userId: crypto.randomUUID(), sessionId: "session-id-0123456789" };

function unsigned(claims: Record<string, unknown>, header: Record<string, unknown>) {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part(header)}.${part(claims)}.`;
}

describe("verifyToken", () => {
  it("accepts its own token and returns its claims", async () => {
    const issued = await issueToken("access", subject, SECRET, 60);
    const claims = await verifyToken("access", issued.token, SECRET);
    expect(claims).toMatchObject({ sub: subject.userId, sid: subject.sessionId, jti: issued.jti });
  });

  it("refuses a token of the other kind (audience)", async () => {
    const refresh = await issueToken("refresh", subject, SECRET, 60);
    expect(await verifyToken("access", refresh.token, SECRET)).toBeNull();
  });

  it("refuses a token signed with another key, or with SECRET_KEY itself instead of the derived key", async () => {
    const issued = await issueToken("access", subject, "another-secret-key-that-is-long-enough-000000", 60);
    expect(await verifyToken("access", issued.token, SECRET)).toBeNull();
    const now = Math.floor(Date.now() / 1000);
    const raw = await sign(
      {
        iss: "analytics-dashboard",
        aud: "analytics-dashboard/access",
        sub: subject.userId,
        sid: subject.sessionId,
        jti: "j".repeat(22),
        iat: now,
        exp: now + 60,
      },
      SECRET,
      "HS256",
    );
    expect(await verifyToken("access", raw, SECRET)).toBeNull();
  });

  it("refuses the none algorithm and any algorithm but HS256", async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: "analytics-dashboard",
      aud: "analytics-dashboard/access",
      sub: subject.userId,
      sid: subject.sessionId,
      jti: "j".repeat(22),
      iat: now,
      exp: now + 60,
    };
    expect(await verifyToken("access", unsigned(claims, { alg: "none", typ: "JWT" }), SECRET)).toBeNull();
    const hs512 = await sign(claims, SECRET, "HS512");
    expect(await verifyToken("access", hs512, SECRET)).toBeNull();
  });

  it("refuses an expired token unless asked to allow it (logout)", async () => {
    const issued = await issueToken("access", subject, SECRET, -10);
    expect(await verifyToken("access", issued.token, SECRET)).toBeNull();
    expect((await verifyToken("access", issued.token, SECRET, { allowExpired: true }))?.sid).toBe(subject.sessionId);
  });

  it("refuses malformed input without throwing", async () => {
    for (const token of ["", "a.b", "a.b.c", "####.####.####", "x".repeat(10_000), "eyJhbGciOiJIUzI1NiJ9.e30.%%%"]) {
      expect(await verifyToken("access", token, SECRET)).toBeNull();
    }
  });
});
