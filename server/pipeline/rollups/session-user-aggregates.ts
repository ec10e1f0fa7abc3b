/**
 * Step 1 of applyRollups: the sessions and users a batch touches, one aggregate each, so each gets one upsert; and
 * their JSON for `json_to_recordset`.
 *
 * Wire format: the JSON sent to PostgreSQL keeps one- and two-letter keys (p, k, d, f, l, n, ep, xp; u, s for the
 * pairs), because a batch of thousands of sessions is sent as text on every transaction; the `*WireJson` functions
 * below are the one place that maps the named fields to them, and upsert-sessions-and-users.ts and
 * upsert-rollup-rows.ts the one place that reads them back.
 */
import type { RollupSourceRow } from "./rollup-source-row.ts";

export interface SessionAggregate {
  projectId: string;
  sessionId: string;
  /** The session's user: the latest distinct id seen in it (the upsert keeps the newer of stored and this). */
  distinctId: string | null;
  /** When `distinctId` was seen. */
  distinctIdAt: number;
  firstSeen: number;
  lastSeen: number;
  eventCount: number;
  entryPath: string | null;
  exitPath: string | null;
  /** Assigned from the upsert's answer; -1 until then. */
  num: number;
  /** Nums of the users seen in this session in the batch. */
  userNums: Set<number> | null;
}

export interface UserAggregate {
  projectId: string;
  distinctId: string;
  firstSeen: number;
  lastSeen: number;
  eventCount: number;
  /** Assigned from the upsert's answer; -1 until then. */
  num: number;
}

/** Per project, then per key: no key string is built per event. */
export class ByProject<T> {
  private readonly projects = new Map<string, Map<string, T>>();
  private lastProject = "";
  private last: Map<string, T> | undefined;

  of(projectId: string): Map<string, T> {
    if (projectId === this.lastProject && this.last) return this.last;
    let map = this.projects.get(projectId);
    if (!map) {
      map = new Map();
      this.projects.set(projectId, map);
    }
    this.lastProject = projectId;
    this.last = map;
    return map;
  }

  get size(): number {
    let size = 0;
    for (const map of this.projects.values()) size += map.size;
    return size;
  }

  *values(): IterableIterator<T> {
    for (const map of this.projects.values()) yield* map.values();
  }
}

/** Folds the batch's events (with their times in ms, `times[i]` for `rows[i]`) into one aggregate per session and user. */
export function aggregateSessionsAndUsers(
  rows: readonly RollupSourceRow[],
  times: readonly number[],
): { sessions: ByProject<SessionAggregate>; users: ByProject<UserAggregate> } {
  const sessions = new ByProject<SessionAggregate>();
  const users = new ByProject<UserAggregate>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const t = times[i]!;
    const sessionId = nonEmpty(row.sessionId);
    const distinctId = nonEmpty(row.distinctId);
    if (sessionId !== null) {
      const projectSessions = sessions.of(row.projectId);
      const session = projectSessions.get(sessionId);
      if (!session) {
        projectSessions.set(sessionId, {
          projectId: row.projectId,
          sessionId,
          distinctId,
          distinctIdAt: t,
          firstSeen: t,
          lastSeen: t,
          eventCount: 1,
          entryPath: row.path,
          exitPath: row.path,
          num: -1,
          userNums: null,
        });
      } else {
        session.eventCount += 1;
        if (t < session.firstSeen) [session.firstSeen, session.entryPath] = [t, row.path];
        if (t >= session.lastSeen) [session.lastSeen, session.exitPath] = [t, row.path];
        if (distinctId !== null && (session.distinctId === null || t >= session.distinctIdAt))
          [session.distinctId, session.distinctIdAt] = [distinctId, t];
      }
    }
    if (distinctId !== null) {
      const projectUsers = users.of(row.projectId);
      const user = projectUsers.get(distinctId);
      if (!user)
        projectUsers.set(distinctId, {
          projectId: row.projectId,
          distinctId,
          firstSeen: t,
          lastSeen: t,
          eventCount: 1,
          num: -1,
        });
      else {
        user.eventCount += 1;
        user.firstSeen = Math.min(user.firstSeen, t);
        user.lastSeen = Math.max(user.lastSeen, t);
      }
    }
  }
  return { sessions, users };
}

/** The sessions as JSON rows { p, k, d, f, l, n, ep, xp } (see the wire format above). */
export function sessionsWireJson(sessions: ByProject<SessionAggregate>): string {
  const out: unknown[] = [];
  for (const s of sessions.values()) {
    out.push({
      p: s.projectId,
      k: s.sessionId,
      d: s.distinctId,
      f: s.firstSeen,
      l: s.lastSeen,
      n: s.eventCount,
      ep: s.entryPath,
      xp: s.exitPath,
    });
  }
  return JSON.stringify(out);
}

/** The users as JSON rows { p, k, f, l, n } (see the wire format above). */
export function usersWireJson(users: ByProject<UserAggregate>): string {
  const out: unknown[] = [];
  for (const u of users.values()) {
    out.push({ p: u.projectId, k: u.distinctId, f: u.firstSeen, l: u.lastSeen, n: u.eventCount });
  }
  return JSON.stringify(out);
}

/** The batch's (user, session) pairs as JSON rows { p, u, s }: project, user num, session num. */
export function userSessionPairsWireJson(sessions: ByProject<SessionAggregate>): string {
  const pairs: Array<{ p: string; u: number; s: number }> = [];
  for (const session of sessions.values()) {
    for (const userNum of session.userNums ?? []) pairs.push({ p: session.projectId, u: userNum, s: session.num });
  }
  return JSON.stringify(pairs);
}

/** Empty strings count as absent, as in the readers. */
export function nonEmpty(value: string | null | undefined): string | null {
  return value === null || value === undefined || value === "" ? null : value;
}
