import { describe, expect, it } from "bun:test";
import { ConfigError, isEmbedded, parseConfig } from "./env.ts";

describe("parseConfig", () => {
  it("gives the documented defaults for an empty environment", () => {
    const config = parseConfig({});
    expect(config.PORT).toBe(8000);
    expect(config.DATA_DIR).toBe("./data");
    expect(config.COOKIE_SECURE).toBe(true);
    expect(config.COOKIE_SAMESITE).toBe("Lax");
    expect(config.ACCESS_TOKEN_EXPIRE_MINUTES).toBe(30);
    expect(config.REFRESH_TOKEN_EXPIRE_DAYS).toBe(7);
    expect(config.RATE_LIMIT_PER_MINUTE).toBe(60);
    expect(config.DISABLE_REGISTRATION).toBe(false);
    expect(config.CORS_ORIGINS).toEqual([]);
    expect(isEmbedded(config)).toBe(true);
  });

  it("requires a 32-character SECRET_KEY when DATABASE_URL is set", () => {
    expect(() => parseConfig({ DATABASE_URL: "postgres://localhost/x" })).toThrow(/SECRET_KEY/);
    const config = parseConfig({ DATABASE_URL: "postgres://localhost/x", SECRET_KEY: "k".repeat(32) });
    expect(isEmbedded(config)).toBe(false);
  });

  it("lists every problem at once in a readable message", () => {
    try {
      parseConfig({ PORT: "eighty", COOKIE_SECURE: "maybe", CORS_ORIGINS: "*", REDIS_URL: "http://x" });
      throw new Error("expected a ConfigError");
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      for (const name of ["PORT", "COOKIE_SECURE", "CORS_ORIGINS", "REDIS_URL"]) expect(message).toContain(name);
    }
  });

  it("parses an explicit origin list and trims trailing slashes", () => {
    const config = parseConfig({ CORS_ORIGINS: "https://a.example.com/, http://localhost:5173" });
    expect(config.CORS_ORIGINS).toEqual(["https://a.example.com", "http://localhost:5173"]);
  });

  it("leaves Redis durability advisory and metrics local by default, and refuses a guessable metrics token", () => {
    const defaults = parseConfig({});
    expect(defaults.REQUIRE_DURABLE_REDIS).toBe(false);
    expect(defaults.METRICS_TOKEN).toBeUndefined();
    expect(parseConfig({ REQUIRE_DURABLE_REDIS: "true", METRICS_TOKEN: "m".repeat(16) })).toMatchObject({
      REQUIRE_DURABLE_REDIS: true,
      METRICS_TOKEN: "m".repeat(16),
    });
    expect(() => parseConfig({ METRICS_TOKEN: "short" })).toThrow(/METRICS_TOKEN/);
  });

  it("takes SMTP_URL only with PUBLIC_URL (mailed links are absolute) and MAIL_FROM", () => {
    expect(parseConfig({}).SMTP_URL).toBeUndefined();
    const mail = { SMTP_URL: "smtps://u:p@smtp.example.com:465", MAIL_FROM: "a@example.com" };
    expect(parseConfig({ ...mail, PUBLIC_URL: "https://analytics.example.com" }).SMTP_URL).toBe(mail.SMTP_URL);
    expect(() => parseConfig(mail)).toThrow(/PUBLIC_URL/);
    expect(() => parseConfig({ SMTP_URL: mail.SMTP_URL, PUBLIC_URL: "https://a.example" })).toThrow(/MAIL_FROM/);
    expect(() => parseConfig({ SMTP_URL: "http://smtp.example.com" })).toThrow(/SMTP_URL/);
  });
});
