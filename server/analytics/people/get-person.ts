import { sql } from "drizzle-orm";
import { PERSON_SESSIONS_LIMIT, type Person, type TraitValue } from "../../../shared/people.ts";
import { type Database, queryRows } from "../../db/client.ts";
import { findPerson } from "./find-person.ts";

const isoText = (column: string) => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/**
 * The person `distinctId` belongs to (found under any of its ids), with figures over all its ids, its traits and its
 * latest sessions; null when the project has no such id (the router answers NOT_FOUND).
 */
export async function getPerson(
  db: Database,
  input: { projectId: string; distinctId: string },
): Promise<Person | null> {
  const person = await findPerson(db, input.projectId, input.distinctId);
  if (!person) return null;
  const project = sql`${input.projectId}::uuid`;
  const nums = sql`${`{${person.members.map((m) => m.num).join(",")}}`}::bigint[]`;
  const [figures] = await queryRows<{
    event_count: string | number;
    first_seen: string;
    last_seen: string;
    session_count: string | number;
  }>(
    db,
    sql`select sum(u.event_count)::bigint as event_count,
               ${isoText("min(u.first_seen)")} as first_seen, ${isoText("max(u.last_seen)")} as last_seen,
               (select count(distinct s.session_num) from analytics_user_sessions s
                 where s.project_id = ${project} and s.user_num = any(${nums})) as session_count
          from analytics_users u
         where u.project_id = ${project} and u.num = any(${nums})`,
  );
  // As text, parsed here: the same on both drivers.
  const traits = await queryRows<{ key: string; value: string }>(
    db,
    sql`select key, value::text as value from analytics_person_traits
         where project_id = ${project} and person_num = ${person.personNum} and not unset
         order by key`,
  );
  const sessions = await queryRows<{
    session_id: string;
    first_seen: string;
    last_seen: string;
    event_count: string | number;
    entry_path: string | null;
    exit_path: string | null;
  }>(
    db,
    sql`select m.session_id, ${isoText("m.first_seen")} as first_seen, ${isoText("m.last_seen")} as last_seen,
               m.event_count, m.entry_path, m.exit_path
          from analytics_sessions m
         where m.project_id = ${project}
           and m.num in (select s.session_num from analytics_user_sessions s
                          where s.project_id = ${project} and s.user_num = any(${nums}))
         order by m.last_seen desc, m.session_id
         limit ${PERSON_SESSIONS_LIMIT}`,
  );
  return {
    distinctId: person.distinctId,
    aliases: person.members.slice(1).map((m) => m.distinctId),
    traits: Object.fromEntries(traits.map((t) => [t.key, JSON.parse(t.value) as TraitValue])),
    firstSeen: figures!.first_seen,
    lastSeen: figures!.last_seen,
    eventCount: Number(figures!.event_count),
    sessionCount: Number(figures!.session_count),
    sessions: sessions.map((s) => ({
      sessionId: s.session_id,
      firstSeen: s.first_seen,
      lastSeen: s.last_seen,
      eventCount: Number(s.event_count),
      entryPath: s.entry_path,
      exitPath: s.exit_path,
    })),
  };
}
