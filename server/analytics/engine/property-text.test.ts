import { expect, test } from "bun:test";
import postgres from "postgres";
import { propertyText } from "./property-text.ts";

test("matches jsonb ->>", async () => {
  const sql = postgres("postgres://postgres@127.0.0.1:5432/postgres");
  const cases: unknown[] = [
    "a",
    "",
    42,
    42.5,
    -0.001,
    1e21,
    1.5e-7,
    -2.5e30,
    123456789012,
    true,
    false,
    null,
    { b: 1, aa: [1, 'x"y', { z: null }], a: "é" },
    [],
    {},
    [1, [2, {}]],
    0,
    -0,
    1e-7,
    5e-324,
    1.7976931348623157e308,
  ];
  for (const c of cases) {
    const [row] = await sql`select (${JSON.stringify({ k: c })}::text::jsonb) ->> 'k' as t`;
    expect([c, propertyText(c)]).toEqual([c, row!.t]);
  }
  await sql.end();
});
