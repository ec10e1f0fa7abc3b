import { describe, expect, it } from "bun:test";
import { getTableColumns } from "drizzle-orm";
import { copyField, EVENT_COLUMNS, type EventRow, toCopyChunks, toJsonRecord } from "./events-columns.ts";
import { events } from "./schema/index.ts";

const snakeCase = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A row whose every field holds a value naming its column, so a field out of place shows which. */
function distinctRow(): EventRow {
  return {
    projectId: "0190a6a0-0000-7000-8000-000000000001",
    insertId: "insert_id",
    eventName: "event_name",
    distinctId: "distinct_id",
    sessionId: "session_id",
    properties: { properties: true },
    pageUrl: "page_url",
    path: "path",
    host: "host",
    referrer: "referrer",
    referrerHost: "referrer_host",
    utmSource: "utm_source",
    utmMedium: "utm_medium",
    utmCampaign: "utm_campaign",
    userAgent: "user_agent",
    browser: "browser",
    os: "os",
    device: "device",
    ipHash: "ip_hash",
    country: "country",
    timestamp: new Date("2026-01-02T03:04:05.006Z"),
    receivedAt: new Date("2026-01-02T03:04:06.007Z"),
  };
}

/** What the row holds for a column, as COPY's text format writes it. */
function copyText(row: EventRow, column: string): string {
  const key = Object.keys(row).find((k) => snakeCase(k) === column)!;
  const value = row[key as keyof EventRow];
  if (value instanceof Date) return value.toISOString();
  return typeof value === "string" ? value : JSON.stringify(value);
}

describe("EVENT_COLUMNS", () => {
  it("lists every column of the drizzle events table, in the table's order", () => {
    expect<string[]>([...EVENT_COLUMNS]).toEqual(Object.keys(getTableColumns(events)).map(snakeCase));
  });
});

describe("toCopyChunks", () => {
  it("writes each column's value in its own field, in EVENT_COLUMNS order", () => {
    const row = distinctRow();
    const [text] = toCopyChunks([row]);
    const fields = text!.replace(/\n$/, "").split("\t");
    expect(fields).toEqual(EVENT_COLUMNS.map((column) => copyText(row, column)));
  });

  it("keeps the fields of rows that share a client apart from each other's", () => {
    const first = distinctRow();
    const second = { ...first, insertId: "second", userAgent: "other agent", ipHash: null, country: "FR" };
    const lines = toCopyChunks([first, second, first]).join("").split("\n");
    expect(lines[1]!.split("\t")[EVENT_COLUMNS.indexOf("user_agent")]).toBe("other agent");
    expect(lines[1]!.split("\t")[EVENT_COLUMNS.indexOf("ip_hash")]).toBe("\\N");
    expect(lines[1]!.split("\t")[EVENT_COLUMNS.indexOf("country")]).toBe("FR");
    expect(lines[2]!.split("\t")[EVENT_COLUMNS.indexOf("country")]).toBe("country");
    expect(lines[2]!.split("\t")[EVENT_COLUMNS.indexOf("user_agent")]).toBe("user_agent");
  });
});

describe("copyField", () => {
  it("writes null as \\N and escapes backslash, tab, newline and carriage return", () => {
    expect(copyField(null)).toBe("\\N");
    expect(copyField("a\\b\tc\nd\re")).toBe("a\\\\b\\tc\\nd\\re");
    expect(copyField("plain")).toBe("plain");
  });
});

describe("toJsonRecord", () => {
  it("writes one key per column, in EVENT_COLUMNS order, timestamps as epoch ms", () => {
    const row = distinctRow();
    const record = toJsonRecord(row);
    expect(Object.keys(record)).toEqual<string[]>([...EVENT_COLUMNS]);
    expect(record.timestamp).toBe(row.timestamp.getTime());
    expect(record.referrer_host).toBe("referrer_host");
  });
});
