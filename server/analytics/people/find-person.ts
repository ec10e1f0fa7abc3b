import { sql } from "drizzle-orm";
import { type Database, queryRows } from "../../db/client.ts";

/** A person as its ids: the person's num and canonical id, and every member (the canonical id first). */
export interface PersonIds {
  personNum: number;
  distinctId: string;
  members: Array<{ num: number; distinctId: string }>;
}

/**
 * The person `distinctId` belongs to in the project (its canonical id or any alias), with all its ids; null when no
 * event of the project named it. Two index lookups: the id's user row and link, then the person's links.
 */
export async function findPerson(db: Database, projectId: string, distinctId: string): Promise<PersonIds | null> {
  const rows = await queryRows<{ num: string | number; distinct_id: string; is_person: boolean }>(
    db,
    sql`with person as (
          select coalesce(l.person_num, u.num) as num
            from analytics_users u
            left join analytics_person_links l on l.project_id = u.project_id and l.alias_num = u.num
           where u.project_id = ${projectId}::uuid and u.distinct_id = ${distinctId}
        ),
        member_nums as (
          select num, true as is_person from person
          union all
          select l.alias_num, false from analytics_person_links l, person
           where l.project_id = ${projectId}::uuid and l.person_num = person.num
        )
        select m.num, u.distinct_id, m.is_person
          from member_nums m
          join analytics_users u on u.project_id = ${projectId}::uuid and u.num = m.num
         order by m.is_person desc, u.distinct_id`,
  );
  const person = rows[0];
  if (!person?.is_person) return null;
  return {
    personNum: Number(person.num),
    distinctId: person.distinct_id,
    members: rows.map((row) => ({ num: Number(row.num), distinctId: row.distinct_id })),
  };
}
