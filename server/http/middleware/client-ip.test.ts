import { describe, expect, it } from "bun:test";
import { proxiedClientIp } from "./client-ip.ts";

describe("proxiedClientIp", () => {
  it("takes the right-most X-Forwarded-For address, the one the trusted proxy appended", () => {
    expect(proxiedClientIp(new Headers({ "x-forwarded-for": "6.6.6.6, 10.0.0.1 , 203.0.113.7 " }))).toBe("203.0.113.7");
  });

  it("falls back to X-Real-IP, and to none when neither names an address", () => {
    expect(proxiedClientIp(new Headers({ "x-forwarded-for": " ", "x-real-ip": " 203.0.113.8" }))).toBe("203.0.113.8");
    expect(proxiedClientIp(new Headers({ "x-real-ip": "" }))).toBeNull();
  });
});
