import { sql } from "drizzle-orm";
import { encodePageCursor, type PageCursor } from "../../../shared/analytics.ts";
import { PERSON_EVENTS_PAGE_SIZE, type PersonEventsPage } from "../../../shared/people.ts";
import { type Database, queryRows } from "../../db/client.ts";
import { findPerson } from "./find-person.ts";

interface EventRow extends Record<string, unknown> {
  insert_id: string;
  event_name: string;
  at: string;
  sort_key: string;
  distinct_id: string;
  session_id: string | null;
  properties: string;
  path: string | null;
  referrer_host: string | null;
  browser: string | null;
  os: string | null;
  device: string | null;
}

/**
 * One page of a person's events under all its ids, newest first (ties by insert id), resuming after `cursor`; null
 * when the project has no such id. Cost: per id one range of events_project_distinct_timestamp_idx, at most a page
 * long, merged, so a page costs the same whatever the person's history and its number of ids.
 */
export async function getPersonEvents(
  db: Database,
  input: { projectId: string; distinctId: string; cursor?: PageCursor | undefined },
): Promise<PersonEventsPage | null> {
  const person = await findPerson(db, input.projectId, input.distinctId);
  if (!person) return null;
  const limit = PERSON_EVENTS_PAGE_SIZE + 1;
  const after = input.cursor;
  const afterAt = sql`(timestamptz 'epoch' + ${after?.key ?? "0"}::bigint * interval '1 microsecond')`;
  const keyset = after
    ? sql`e.timestamp <= ${afterAt} and (e.timestamp < ${afterAt} or e.insert_id > ${after.id})`
    : sql`true`;
  const ids = JSON.stringify(person.members.map((m) => m.distinctId));
  const rows = await queryRows<EventRow>(
    db,
    sql`select page.* from jsonb_array_elements_text(${ids}::jsonb) as ids(id)
        cross join lateral (
          select e.insert_id, e.event_name, e.timestamp,
                 to_char(e.timestamp at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at,
                 (extract(epoch from e.timestamp) * 1000000)::bigint::text as sort_key,
                 e.distinct_id, e.session_id, e.properties::text as properties, e.path, e.referrer_host,
                 e.browser, e.os, e.device
            from events e
           where e.project_id = ${input.projectId}::uuid and e.distinct_id = ids.id and ${keyset}
           order by e.timestamp desc, e.insert_id
           limit ${limit}
        ) page
        order by page.timestamp desc, page.insert_id
        limit ${limit}`,
  );
  const page = rows.slice(0, PERSON_EVENTS_PAGE_SIZE);
  const last = page.at(-1);
  return {
    nextCursor:
      rows.length > PERSON_EVENTS_PAGE_SIZE && last
        ? encodePageCursor("events", { key: last.sort_key, id: last.insert_id })
        : null,
    items: page.map((row) => ({
      insertId: row.insert_id,
      name: row.event_name,
      timestamp: row.at,
      distinctId: row.distinct_id,
      sessionId: row.session_id,
      properties: JSON.parse(row.properties) as Record<string, unknown>,
      path: row.path,
      referrerHost: row.referrer_host,
      browser: row.browser,
      os: row.os,
      device: row.device,
    })),
  };
}
