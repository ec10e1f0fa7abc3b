/**
 * The live feed closes when access ends: 4401 when the login ended (logout, password change, account disabled or
 * deleted), 4403 when the project went away, within 5 s, over real WebSockets. With Redis the changes are made
 * through one set of services and the sockets are held by a server on another (two API processes sharing PostgreSQL
 * and Redis), so the signal crosses processes; without Redis everything is in one process (memory pub/sub and keys).
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { LIVE_CLOSE_CODES } from "../../../shared/live.ts";
import { publishAccessRevoked } from "../../auth/access-revoked.ts";
import { startSession } from "../../auth/sessions.ts";
import { createServices, type Services } from "../../services.ts";
import { anonymousCaller, callerWithToken, registerAndSignIn, type SignedInUser } from "../../test-support/auth.ts";
import { createTestProject } from "../../test-support/ingest-fixtures.ts";
import { createTestServices, startTestServer, type TestServices } from "../../test-support/services.ts";
import { LIVE_RECHECK_MS, LiveAccessGuard } from "../live/live-access-guard.ts";
import type { LiveSocket } from "../live/live-hub.ts";
import type { RunningServer } from "../serve.ts";

const HOOK_TIMEOUT_MS = 60_000;
const CLOSE_WITHIN_MS = 5_000;

interface Feed {
  socket: WebSocket;
  /** Resolves with the close code and how long after `since()` it came. */
  closed: Promise<{ code: number; afterMs: number }>;
  isOpen(): boolean;
  /** Marks the moment the revoking change was made. */
  mark(): void;
}

for (const mode of ["redis", "memory"] as const) {
  describe(`live feed revocation (${mode})`, () => {
    let api: TestServices;
    let liveServices: Services;
    let server: RunningServer;
    let admin: SignedInUser;

    beforeAll(async () => {
      api = await createTestServices({}, { redis: mode === "redis" });
      // With Redis a second set of services is a second API process; in memory mode there can only be one.
      liveServices =
        mode === "redis"
          ? await createServices(api.config, { migrate: false, logger: api.services.logger })
          : api.services;
      server = startTestServer(liveServices);
      admin = await registerAndSignIn(api.services);
    }, HOOK_TIMEOUT_MS);

    afterAll(async () => {
      await server.stop();
      if (liveServices !== api.services) await liveServices.close();
      await api.cleanup();
    }, HOOK_TIMEOUT_MS);

    async function openFeed(user: Pick<SignedInUser, "caller">, projectId: string): Promise<Feed> {
      const { ticket } = await user.caller.auth.wsTicket({ projectId });
      const socket = new WebSocket(
        `${server.url.replace("http", "ws")}/api/v1/ws/events/${projectId}?ticket=${encodeURIComponent(ticket)}`,
      );
      let open = false;
      let markedAt = Date.now();
      const closed = new Promise<{ code: number; afterMs: number }>((resolve) => {
        socket.onclose = (event) => {
          open = false;
          resolve({ code: event.code, afterMs: Date.now() - markedAt });
        };
      });
      await new Promise<void>((resolve, reject) => {
        socket.onopen = () => resolve();
        socket.onerror = () => reject(new Error("the live feed refused the connection"));
      });
      open = true;
      // Let the server register the socket before the test changes anything.
      await Bun.sleep(50);
      return {
        socket,
        closed,
        isOpen: () => open,
        mark: () => {
          markedAt = Date.now();
        },
      };
    }

    async function expectClosed(feed: Feed, code: number) {
      const outcome = await Promise.race([feed.closed, Bun.sleep(CLOSE_WITHIN_MS + 1_000).then(() => null)]);
      expect(outcome?.code).toBe(code);
      expect(outcome!.afterMs).toBeLessThan(CLOSE_WITHIN_MS);
    }

    /** Another login of the same account (another browser). */
    async function signInAgain(user: SignedInUser) {
      const login = await anonymousCaller(api.services).caller.auth.login({
        email: user.email,
        password: user.password,
      });
      return (await callerWithToken(api.services, login.accessToken)).caller;
    }

    it("closes with 4401 when its login logs out", async () => {
      const user = await registerAndSignIn(api.services);
      const { project } = await user.caller.projects.create({ name: "Logout" });
      const feed = await openFeed(user, project.id);
      feed.mark();
      await user.caller.auth.logout();
      await expectClosed(feed, LIVE_CLOSE_CODES.loginEnded);
    });

    it("closes the other logins' feeds with 4401 on a password change, and keeps the one that changed it", async () => {
      const user = await registerAndSignIn(api.services);
      const { project } = await user.caller.projects.create({ name: "Password" });
      const elsewhere = await openFeed({ caller: await signInAgain(user) }, project.id);
      const here = await openFeed(user, project.id);
      elsewhere.mark();
      await user.caller.users.changePassword({
        currentPassword: user.password,
        newPassword: "Another-horse-7-battery",
      });
      await expectClosed(elsewhere, LIVE_CLOSE_CODES.loginEnded);
      await Bun.sleep(LIVE_RECHECK_MS + 500);
      expect(here.isOpen()).toBe(true);
      here.socket.close();
    }, 15_000);

    it("closes with 4401 when the administrator disables the account", async () => {
      const user = await registerAndSignIn(api.services);
      const { project } = await user.caller.projects.create({ name: "Disabled" });
      const feed = await openFeed(user, project.id);
      feed.mark();
      await admin.caller.users.update({ id: user.login.user.id, isActive: false });
      await expectClosed(feed, LIVE_CLOSE_CODES.loginEnded);
    });

    it("closes with 4401 when the administrator deletes the account", async () => {
      const user = await registerAndSignIn(api.services);
      const { project } = await user.caller.projects.create({ name: "Deleted account" });
      const feed = await openFeed(user, project.id);
      feed.mark();
      await admin.caller.users.delete({ id: user.login.user.id });
      await expectClosed(feed, LIVE_CLOSE_CODES.loginEnded);
    });

    it("closes with 4403 when the project is deleted, and keeps the feed of another project", async () => {
      const user = await registerAndSignIn(api.services);
      const { project } = await user.caller.projects.create({ name: "Doomed" });
      const { project: kept } = await user.caller.projects.create({ name: "Kept" });
      const feed = await openFeed(user, project.id);
      const other = await openFeed(user, kept.id);
      feed.mark();
      await user.caller.projects.delete({ id: project.id });
      await expectClosed(feed, LIVE_CLOSE_CODES.projectAccessEnded);
      await Bun.sleep(LIVE_RECHECK_MS + 500);
      expect(other.isOpen()).toBe(true);
      other.socket.close();
    }, 15_000);

    it("closes with 4403 when the person is removed from the project's team, and keeps the owner's feed", async () => {
      const owner = await registerAndSignIn(api.services);
      const member = await registerAndSignIn(api.services);
      const team = await owner.caller.teams.create({ name: "Shared" });
      const { project } = await owner.caller.projects.create({ name: "Shared site", teamId: team.id });
      const { token } = await owner.caller.teams.invite({ teamId: team.id, email: member.email, role: "viewer" });
      await member.caller.teams.acceptInvitation({ token });
      const feed = await openFeed(member, project.id);
      const ownerFeed = await openFeed(owner, project.id);
      feed.mark();
      await owner.caller.teams.removeMember({ teamId: team.id, userId: member.login.user.id });
      await expectClosed(feed, LIVE_CLOSE_CODES.projectAccessEnded);
      expect(ownerFeed.isOpen()).toBe(true);
      ownerFeed.socket.close();
    }, 15_000);

    it("closes with 4401 even when no revocation message arrives (the periodic re-check)", async () => {
      const user = await registerAndSignIn(api.services);
      const { project } = await user.caller.projects.create({ name: "Missed message" });
      const feed = await openFeed(user, project.id);
      feed.mark();
      // Ends the session behind the signal's back, as if its pub/sub message had been lost.
      await liveServices.kv.del(`auth:session:${user.ctx.session!.id}`);
      await expectClosed(feed, LIVE_CLOSE_CODES.loginEnded);
    });
  });
}

describe("LiveAccessGuard", () => {
  let t: TestServices;
  beforeAll(async () => {
    t = await createTestServices();
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await t.cleanup();
  }, HOOK_TIMEOUT_MS);

  function fakeSocket() {
    const closed: number[] = [];
    const socket: LiveSocket = { send: () => {}, bufferedAmount: () => 0, close: (code) => void closed.push(code) };
    return { socket, closed };
  }

  async function grantFor() {
    const project = await createTestProject(t.services.db);
    const session = await startSession(t.services, project.userId);
    return { userId: project.userId, sessionId: session.sessionId, projectId: project.projectId };
  }

  it("re-checks at once on a revocation message, without waiting for the periodic round", async () => {
    const guard = new LiveAccessGuard(t.services, 60_000);
    const grant = await grantFor();
    const { socket, closed } = fakeSocket();
    await guard.watch(socket, grant);
    await t.services.kv.del(`auth:session:${grant.sessionId}`);
    await publishAccessRevoked(t.services, { sessionId: grant.sessionId, reason: "test" });
    const deadline = Date.now() + 1_000;
    while (closed.length === 0 && Date.now() < deadline) await Bun.sleep(10);
    expect(closed).toEqual([LIVE_CLOSE_CODES.loginEnded]);
    expect(guard.guarded()).toBe(0);
  });

  it("leaves sockets whose access the re-check confirms, whatever the message says", async () => {
    const guard = new LiveAccessGuard(t.services, 60_000);
    const grant = await grantFor();
    const { socket, closed } = fakeSocket();
    await guard.watch(socket, grant);
    await publishAccessRevoked(t.services, { userId: grant.userId, reason: "test" });
    await Bun.sleep(300);
    expect(closed).toEqual([]);
    guard.release(socket);
  });
});
