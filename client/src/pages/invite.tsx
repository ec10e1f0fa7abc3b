/**
 * The invitation link's page (/invite/<token>): which team, which role, for which email. Signed in: accept (the
 * server refuses an account with another email). Signed out: sign in, or register that email (allowed by the
 * invitation even when registration is closed), and come back here.
 */
import { A, useNavigate, useParams } from "@solidjs/router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/solid-query";
import { Match, Show, Switch } from "solid-js";
import { AuthCard } from "../components/auth-card.tsx";
import { FormError, QueryBoundary } from "../components/query-boundary.tsx";
import { signedIn } from "../lib/auth-state.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { keys } from "../lib/queries.ts";
import { trpc } from "../lib/trpc.ts";

export default function InvitePage() {
  usePageTitle(() => "Invitation");
  const params = useParams<{ token: string }>();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const info = useQuery(() => ({
    queryKey: ["invitation", params.token],
    queryFn: () => trpc.teams.invitation.query({ token: params.token }),
  }));
  const accept = useMutation(() => ({
    mutationFn: () => trpc.teams.acceptInvitation.mutate({ token: params.token }),
    onSuccess: async ({ teamId }) => {
      await queryClient.invalidateQueries({ queryKey: keys.teams() });
      await queryClient.invalidateQueries({ queryKey: keys.projects() });
      navigate(`/teams/${teamId}`);
    },
  }));
  const here = () => `/invite/${params.token}`;
  return (
    <AuthCard title="Invitation" subtitle="Join a team to share its projects.">
      <QueryBoundary query={info} label="Loading the invitation" skeletonClass="h-24">
        {(invitation) => (
          <div class="flex flex-col gap-4 text-sm">
            <p>
              <strong>{invitation().teamName}</strong> invites <strong>{invitation().email}</strong> as{" "}
              <strong>{invitation().role}</strong>.
            </p>
            <Switch>
              <Match when={invitation().status === "used" && signedIn()}>
                <p role="status">This invitation has been used.</p>
                <A class="btn-primary" href={`/teams/${invitation().teamId}`}>
                  Open {invitation().teamName}
                </A>
              </Match>
              <Match when={invitation().status !== "pending"}>
                <p role="alert">
                  This invitation {invitation().status === "used" ? "has been used" : `is ${invitation().status}`}: ask
                  the team for a new one.
                </p>
              </Match>
              <Match when={signedIn()}>
                <button type="button" class="btn-primary" disabled={accept.isPending} onClick={() => accept.mutate()}>
                  Accept and join
                </button>
                <FormError error={accept.error} />
              </Match>
              <Match when={invitation().accountExists}>
                <A class="btn-primary" href={`/login?next=${encodeURIComponent(here())}`}>
                  Sign in as {invitation().email}
                </A>
              </Match>
              <Match when={true}>
                <A
                  class="btn-primary"
                  href={`/register?next=${encodeURIComponent(here())}&invitation=${encodeURIComponent(params.token)}&email=${encodeURIComponent(invitation().email)}`}
                >
                  Create an account for {invitation().email}
                </A>
              </Match>
            </Switch>
            <Show when={signedIn()}>
              <p class="text-muted">
                Signed in with another email? Sign out first: the invitation is for that email only.
              </p>
            </Show>
          </div>
        )}
      </QueryBoundary>
    </AuthCard>
  );
}
