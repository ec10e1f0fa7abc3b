import { sql } from "drizzle-orm";
import { type Database, queryRows } from "../../db/client.ts";

/**
 * The teams that would be left without an owner if this account were deleted: it is their only owner and they have
 * other members. Deleting the account is refused until ownership of each is transferred.
 */
export async function findDeletionBlockingTeams(
  db: Database,
  userId: string,
): Promise<Array<{ id: string; name: string }>> {
  return queryRows<{ id: string; name: string }>(
    db,
    sql`select t.id, t.name from teams t
         join team_members mine on mine.team_id = t.id and mine.user_id = ${userId} and mine.role = 'owner'
        where not exists (select 1 from team_members o
                           where o.team_id = t.id and o.user_id <> ${userId} and o.role = 'owner')
          and exists (select 1 from team_members m where m.team_id = t.id and m.user_id <> ${userId})
        order by t.created_at`,
  );
}
