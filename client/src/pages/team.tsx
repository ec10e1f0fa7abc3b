/**
 * One team: its members and roles, invitations, team read keys, leaving and handing over ownership. Controls appear
 * only for the roles that may use them (admins: rename, invite, roles, removal, read keys; owners: owner roles,
 * transfer); the server enforces every rule (and the last owner's) whatever the page shows.
 */
import { A, useNavigate, useParams } from "@solidjs/router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import { roleAtLeast, TEAM_ROLES, type TeamRole } from "../../../shared/roles.ts";
import { TextField } from "../components/field.tsx";
import { FormError, QueryBoundary } from "../components/query-boundary.tsx";
import { ReadKeysSection } from "../components/sharing-sections.tsx";
import { formatDate } from "../lib/format.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { keys, meQuery, teamListQuery } from "../lib/queries.ts";
import { trpc } from "../lib/trpc.ts";

export default function TeamPage() {
  const params = useParams<{ id: string }>();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const me = useQuery(() => meQuery());
  const teams = useQuery(() => teamListQuery());
  const team = () => teams.data?.find((candidate) => candidate.id === params.id);
  // The administrator holds the owner role everywhere (the server's rule), member or not.
  const role = (): TeamRole | null => (me.data?.isSuperuser ? "owner" : (team()?.role ?? null));
  const can = (needed: TeamRole) => {
    const held = role();
    return held !== null && roleAtLeast(held, needed);
  };
  usePageTitle(() => team()?.name ?? "Team");

  const members = useQuery(() => ({
    queryKey: keys.teamMembers(params.id),
    queryFn: () => trpc.teams.members.query({ teamId: params.id }),
  }));
  const invitations = useQuery(() => ({
    queryKey: keys.teamInvitations(params.id),
    queryFn: () => trpc.teams.invitations.query({ teamId: params.id }),
    enabled: can("admin"),
  }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: keys.teams() });
  const [problem, setProblem] = createSignal<unknown>(null);
  const act = (work: () => Promise<unknown>) => async () => {
    setProblem(null);
    try {
      await work();
      await refresh();
    } catch (error) {
      setProblem(error);
    }
  };

  const [inviteEmail, setInviteEmail] = createSignal("");
  const [inviteRole, setInviteRole] = createSignal<"viewer" | "editor" | "admin">("viewer");
  const [link, setLink] = createSignal<{ url: string; mailed: boolean } | null>(null);
  const invite = useMutation(() => ({
    mutationFn: () => trpc.teams.invite.mutate({ teamId: params.id, email: inviteEmail().trim(), role: inviteRole() }),
    onSuccess: async (created) => {
      const url = created.url.startsWith("/") ? `${location.origin}${created.url}` : created.url;
      setLink({ url, mailed: created.mailed });
      setInviteEmail("");
      await refresh();
    },
  }));

  // The rename field starts empty and shows the current name as its placeholder: nothing to reset when teams reload.
  const [newName, setNewName] = createSignal("");
  const rename = useMutation(() => ({
    mutationFn: () => trpc.teams.rename.mutate({ teamId: params.id, name: newName().trim() }),
    onSuccess: async () => {
      setNewName("");
      await refresh();
      // Project lists show the team's name too.
      await queryClient.invalidateQueries({ queryKey: keys.projectList() });
    },
  }));

  return (
    <div class="flex flex-col gap-6">
      <div class="flex flex-wrap items-end justify-between gap-3">
        <div>
          <A class="link text-sm" href="/teams">
            ← Teams
          </A>
          <h1 class="text-2xl font-semibold tracking-tight">{team()?.name ?? "Team"}</h1>
          <p class="text-sm text-muted">Your role: {role() ?? "—"}</p>
        </div>
        <div class="flex gap-2">
          <Show when={can("admin")}>
            <A class="btn-ghost" href={`/teams/${params.id}/audit`}>
              Audit log
            </A>
          </Show>
          <Show when={team()?.role && !team()?.personal}>
            <button
              type="button"
              class="btn-ghost"
              onClick={act(async () => {
                await trpc.teams.leave.mutate({ teamId: params.id });
                navigate("/teams");
              })}
            >
              Leave team
            </button>
          </Show>
          <Show when={can("owner") && !team()?.personal}>
            <button
              type="button"
              class="btn-ghost"
              onClick={act(async () => {
                await trpc.teams.delete.mutate({ teamId: params.id });
                navigate("/teams");
              })}
            >
              Delete team
            </button>
          </Show>
        </div>
      </div>
      <FormError error={problem()} />

      <Show when={can("admin")}>
        <section class="card p-5" aria-labelledby="rename-title">
          <h2 id="rename-title" class="text-base font-semibold">
            Team name
          </h2>
          <form
            class="mt-3 flex flex-wrap items-end gap-3"
            novalidate
            onSubmit={(event) => {
              event.preventDefault();
              rename.mutate();
            }}
          >
            <TextField
              label="New name"
              name="teamName"
              maxLength={100}
              placeholder={team()?.name}
              value={newName()}
              onInput={(event) => setNewName(event.currentTarget.value)}
            />
            <button type="submit" class="btn-primary" disabled={rename.isPending || !newName().trim()}>
              Rename
            </button>
          </form>
          <FormError error={rename.error} />
        </section>
      </Show>

      <QueryBoundary query={members} label="Loading members" skeletonClass="h-32">
        {(list) => (
          <section class="card overflow-x-auto" aria-label="Members">
            <h2 class="px-5 pt-4 text-base font-semibold">Members</h2>
            <table class="mt-2 w-full text-sm">
              <thead class="text-left text-muted">
                <tr>
                  <th class="px-5 py-2 font-medium">Member</th>
                  <th class="px-5 py-2 font-medium">Role</th>
                  <th class="px-5 py-2 font-medium">Joined</th>
                  <th class="px-5 py-2" />
                </tr>
              </thead>
              <tbody>
                <For each={list()}>
                  {(member) => {
                    const self = () => member.userId === me.data?.id;
                    // Admins manage non-owners; owner roles are an owner's to give or take.
                    const mayManage = () => can("admin") && (member.role !== "owner" || can("owner"));
                    return (
                      <tr class="border-t border-zinc-100 dark:border-zinc-800">
                        <td class="px-5 py-2">
                          {member.fullName ? `${member.fullName} · ` : ""}
                          {member.email}
                        </td>
                        <td class="px-5 py-2">
                          <Show when={mayManage() && !self()} fallback={member.role}>
                            <select
                              aria-label={`Role of ${member.email}`}
                              class="field-input py-1"
                              value={member.role}
                              onChange={(event) => {
                                const next = event.currentTarget.value as TeamRole;
                                void act(() =>
                                  trpc.teams.setRole.mutate({ teamId: params.id, userId: member.userId, role: next }),
                                )();
                              }}
                            >
                              <For each={TEAM_ROLES.filter((r) => r !== "owner" || can("owner"))}>
                                {(r) => <option value={r}>{r}</option>}
                              </For>
                            </select>
                          </Show>
                        </td>
                        <td class="px-5 py-2">{formatDate(member.joinedAt)}</td>
                        <td class="space-x-2 whitespace-nowrap px-5 py-2 text-right">
                          <Show when={can("owner") && !self() && member.role !== "owner"}>
                            <button
                              type="button"
                              class="link"
                              onClick={act(() =>
                                trpc.teams.transferOwnership.mutate({ teamId: params.id, userId: member.userId }),
                              )}
                            >
                              Make owner (you become admin)
                            </button>
                          </Show>
                          <Show when={mayManage() && !self()}>
                            <button
                              type="button"
                              class="link"
                              onClick={act(() =>
                                trpc.teams.removeMember.mutate({ teamId: params.id, userId: member.userId }),
                              )}
                            >
                              Remove
                            </button>
                          </Show>
                        </td>
                      </tr>
                    );
                  }}
                </For>
              </tbody>
            </table>
          </section>
        )}
      </QueryBoundary>

      <Show when={can("admin")}>
        <section class="card p-5" aria-labelledby="invite-title">
          <h2 id="invite-title" class="text-base font-semibold">
            Invite someone
          </h2>
          <p class="text-sm text-muted">The link works once, for that email only, for 7 days.</p>
          <form
            class="mt-3 flex flex-wrap items-end gap-3"
            novalidate
            onSubmit={(event) => {
              event.preventDefault();
              invite.mutate();
            }}
          >
            <TextField
              label="Email"
              name="email"
              type="email"
              value={inviteEmail()}
              onInput={(event) => setInviteEmail(event.currentTarget.value)}
            />
            <label class="flex flex-col gap-1 text-sm">
              Role
              <select
                class="field-input"
                value={inviteRole()}
                onChange={(event) => setInviteRole(event.currentTarget.value as "viewer" | "editor" | "admin")}
              >
                <option value="viewer">viewer</option>
                <option value="editor">editor</option>
                <option value="admin">admin</option>
              </select>
            </label>
            <button type="submit" class="btn-primary" disabled={invite.isPending}>
              Invite
            </button>
          </form>
          <FormError error={invite.error} />
          <Show when={link()}>
            {(created) => (
              <p class="mt-3 break-all text-sm" role="status">
                {created().mailed ? "Mailed. " : "Send this link to them (shown once): "}
                <code class="font-mono">{created().url}</code>
              </p>
            )}
          </Show>
          <Show when={(invitations.data ?? []).length > 0}>
            <h3 class="mt-4 text-sm font-semibold">Pending invitations</h3>
            <ul class="mt-2 flex flex-col gap-1 text-sm">
              <For each={invitations.data}>
                {(invitation) => (
                  <li class="flex items-center justify-between gap-3">
                    <span>
                      {invitation.email} · {invitation.role} ·{" "}
                      {invitation.expired ? "expired" : `until ${formatDate(invitation.expiresAt)}`}
                    </span>
                    <button
                      type="button"
                      class="link"
                      onClick={act(async () => {
                        await trpc.teams.revokeInvitation.mutate({ teamId: params.id, id: invitation.id });
                        await queryClient.invalidateQueries({ queryKey: keys.teamInvitations(params.id) });
                      })}
                    >
                      Revoke
                    </button>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </section>
      </Show>

      <Show when={can("admin")}>
        {/* A team key reads every project of the team, present and future (apiKeys.* with teamId). */}
        <ReadKeysSection owner={{ teamId: params.id }} />
      </Show>
    </div>
  );
}
