import { ADMIN_PASSWORD } from './server.ts';

/** A small GraphQL-over-HTTP client for tests, speaking as an integrator would. */
export interface GqlResult<T = any> {
  data?: T;
  errors?: Array<{ message: string; extensions?: { code?: string; fields?: Array<{ path: string; message: string }> } }>;
  status: number;
  headers: Headers;
}

export interface Auth {
  token?: string;
  cookie?: string;
}

export async function gql<T = any>(url: string, query: string, variables: Record<string, unknown> = {}, auth: Auth = {}): Promise<GqlResult<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  if (auth.cookie) headers.cookie = auth.cookie;
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as GqlResult<T>;
  return { ...body, status: res.status, headers: res.headers };
}

/** gqlOk returns data or throws with the errors. */
export async function gqlOk<T = any>(url: string, query: string, variables: Record<string, unknown> = {}, auth: Auth = {}): Promise<T> {
  const r = await gql<T>(url, query, variables, auth);
  if (r.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
  return r.data as T;
}

/** login returns the session cookie ("name=value"). */
export async function login(url: string, username = 'admin', password = ADMIN_PASSWORD): Promise<string> {
  const r = await gql(url, 'mutation($u:String!,$p:String!){ login(username:$u,password:$p){ username } }', { u: username, p: password });
  if (r.errors?.length) throw new Error(`login failed: ${JSON.stringify(r.errors)}`);
  const setCookie = r.headers.get('set-cookie') ?? '';
  return setCookie.split(';')[0]!;
}

/** tokenFor logs in as admin and creates an API token with the given role. */
export async function tokenFor(url: string, role: 'VIEWER' | 'OPERATOR' | 'ADMIN', cookie?: string): Promise<string> {
  const c = cookie ?? (await login(url));
  const d = await gqlOk(url, 'mutation($n:String!,$r:Role!){ createApiToken(name:$n, role:$r){ token } }', { n: `test-${role}-${Date.now()}`, r: role }, { cookie: c });
  return d.createApiToken.token as string;
}

/** fieldPaths lists the BAD_USER_INPUT field paths of a result. */
export function fieldPaths(r: GqlResult): string[] {
  return (r.errors ?? []).flatMap((e) => (e.extensions?.fields ?? []).map((f) => f.path));
}

export function errorCode(r: GqlResult): string | undefined {
  return r.errors?.[0]?.extensions?.code;
}
