/**
 * The product's public API as a user's script calls it: tRPC over plain HTTP (no transformer: inputs and outputs
 * are JSON), with a bearer token. Kept to fetch so the bench exercises exactly the wire protocol a user sees.
 */

export interface TrpcClient {
  baseUrl: string;
  token: string | null;
  query<T>(path: string, input: unknown, signal?: AbortSignal): Promise<T>;
  mutation<T>(path: string, input: unknown): Promise<T>;
}

interface TrpcEnvelope {
  result?: { data?: unknown };
  error?: { message?: string; data?: { code?: string } };
}

/** The API answered with an error (as opposed to the connection failing). */
export class TrpcCallError extends Error {
  override name = "TrpcCallError";
}

async function unwrap<T>(path: string, response: Response): Promise<T> {
  const text = await response.text();
  let envelope: TrpcEnvelope;
  try {
    envelope = JSON.parse(text) as TrpcEnvelope;
  } catch {
    throw new TrpcCallError(`${path}: HTTP ${response.status}, not JSON: ${text.slice(0, 300)}`);
  }
  if (!response.ok || envelope.error) {
    const code = envelope.error?.data?.code ?? response.status;
    throw new TrpcCallError(`${path}: ${code} ${envelope.error?.message ?? text.slice(0, 300)}`);
  }
  return envelope.result?.data as T;
}

export function createTrpcClient(baseUrl: string, token: string | null = null): TrpcClient {
  const headers = (): Record<string, string> => ({
    "content-type": "application/json",
    ...(client.token ? { authorization: `Bearer ${client.token}` } : {}),
  });
  const client: TrpcClient = {
    baseUrl,
    token,
    query: async <T>(path: string, input: unknown, signal?: AbortSignal) => {
      const url = `${baseUrl}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`;
      const response = await fetch(url, { headers: headers(), signal });
      return unwrap<T>(path, response);
    },
    mutation: async <T>(path: string, input: unknown) => {
      const url = `${baseUrl}/api/trpc/${path}`;
      return unwrap<T>(path, await fetch(url, { method: "POST", headers: headers(), body: JSON.stringify(input) }));
    },
  };
  return client;
}

export interface BenchAccount {
  client: TrpcClient;
  email: string;
  projectId: string;
  apiKey: string;
}

/** Registers a user, signs in (bearer token), and creates a project: what a new user does first. */
export async function createBenchAccount(baseUrl: string): Promise<BenchAccount> {
  const client = createTrpcClient(baseUrl);
  const email = `bench-${Bun.randomUUIDv7().slice(-12)}@example.com`;
  const password = `Bench-${Bun.randomUUIDv7().slice(-12)}-pw!`;
  await client.mutation("auth.register", { email, password, fullName: "Benchmark" });
  const login = await client.mutation<{ accessToken?: string }>("auth.login", { email, password });
  if (!login?.accessToken) throw new Error("auth.login returned no accessToken");
  client.token = login.accessToken;
  const project = await createProject(client, "Benchmark");
  return { client, email, ...project };
}

/** `projects.create` for the signed-in user: the new project's id and its ingest key. */
export async function createProject(client: TrpcClient, name: string): Promise<{ projectId: string; apiKey: string }> {
  const created = await client.mutation<{ project?: { id?: string }; apiKey?: string }>("projects.create", { name });
  if (!created?.project?.id || !created.apiKey) throw new Error("projects.create returned no project id or apiKey");
  return { projectId: created.project.id, apiKey: created.apiKey };
}
