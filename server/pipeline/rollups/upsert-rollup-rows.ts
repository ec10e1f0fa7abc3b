/**
 * Step 4 of applyRollups, one statement: the (user, session) pairs, each user's session count, and the session and
 * user rollup rows. Data-modifying CTEs all run to completion whether or not the final SELECT reads them. A user's
 * session count grows only by the (user, session) pairs that are new to the table. Every upsert takes its rows in key
 * order (the ORDER BY of its SELECT) so two workers updating the same buckets cannot deadlock.
 *
 * Takes the JSON of `userSessionPairsWireJson` (session-user-aggregates.ts) and `RollupAccumulator.toWireJson`
 * (rollup-accumulator.ts); their short keys are explained there.
 */
import { sql } from "drizzle-orm";
import { CHUNK_BITS_SQL, FIRST_BIT_SQL } from "../../analytics/rollup-layout.ts";
import type { Database } from "../../db/client.ts";

/** Writes the pairs and rollup rows inside the caller's transaction. */
export async function upsertRollupRows(
  tx: Database,
  pairsJson: string,
  rollupsJson: string,
  userRollupsJson: string,
): Promise<void> {
  await tx.execute(
    sql`with added_pairs as (
          insert into analytics_user_sessions (project_id, user_num, session_num)
          select p, u, s from json_to_recordset(${pairsJson}::json)
            as x(p uuid, u bigint, s bigint)
          order by p, u, s
          on conflict do nothing
          returning project_id, user_num
        ),
        per_user as (select project_id, user_num, count(*) as n from added_pairs group by project_id, user_num),
        counted as (
          update analytics_users u set session_count = u.session_count + per_user.n
            from per_user where u.project_id = per_user.project_id and u.num = per_user.user_num
          returning 1
        ),
        session_sets as (
          insert into analytics_rollups as r (project_id, dimension, size, bucket, value, chunk, events, sessions)
          select p, d, s, to_timestamp(b / 1000.0), v, c, n,
                 case when c < 0 then null
                      when x.hex is not null then ('x' || x.hex)::bit(${CHUNK_BITS_SQL})::bit varying
                      else (select bit_or(${FIRST_BIT_SQL} >> pos)::bit varying from unnest(x.pos) as pos)
                 end
            from json_to_recordset(${rollupsJson}::json)
              as x(p uuid, d text, s smallint, b bigint, v text, c integer, n bigint, pos integer[], hex text)
          order by p, d, s, b, v, c
          on conflict (project_id, dimension, size, bucket, value, chunk) do update set
            events = r.events + excluded.events,
            sessions = case when r.sessions is null then excluded.sessions
                            when excluded.sessions is null then r.sessions
                            else r.sessions | excluded.sessions end
          returning 1
        ),
        user_sets as (
          insert into analytics_user_rollups as r (project_id, dimension, size, bucket, value, chunk, users)
          select p, d, s, to_timestamp(b / 1000.0), v, c,
                 case when x.hex is not null then ('x' || x.hex)::bit(${CHUNK_BITS_SQL})::bit varying
                      else (select bit_or(${FIRST_BIT_SQL} >> pos)::bit varying from unnest(x.pos) as pos)
                 end
            from json_to_recordset(${userRollupsJson}::json)
              as x(p uuid, d text, s smallint, b bigint, v text, c integer, pos integer[], hex text)
          order by p, d, s, b, v, c
          on conflict (project_id, dimension, size, bucket, value, chunk) do update set users = r.users | excluded.users
          returning 1
        )
        select (select count(*) from counted) as users_counted, (select count(*) from session_sets) as session_rows,
               (select count(*) from user_sets) as user_rows`,
  );
}
