import { Client, fetchExchange, mapExchange, subscriptionExchange, type CombinedError, type Operation } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { connection } from './state/connection.svelte.ts';

/**
 * The one urql client of the SPA: queries and mutations over HTTP (same
 * origin, cookie session, JSON bodies for Yoga's CSRF check), subscriptions
 * over graphql-ws on the same socket path. The socket authenticates with the
 * session cookie (the server checks our Origin); it retries forever and
 * tells `connection` so live views can refetch what they missed.
 */
let client: Client | undefined;
let ws: WsClient | undefined;

/** isUnauthenticated: the server no longer knows this browser. */
export function isUnauthenticated(error: CombinedError | undefined): boolean {
  return Boolean(error?.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED'));
}

const PASSWORD_CHECKS = new Set(['Login', 'ChangePassword']);

function operationName(op: Operation): string | undefined {
  for (const d of op.query.definitions) if (d.kind === 'OperationDefinition') return d.name?.value;
  return undefined;
}

function sendToLogin() {
  if (location.pathname === '/login') return;
  const next = location.pathname + location.search;
  // After signing in again the login page reloads the app, so the live socket
  // is authenticated afresh; until then a client-side navigation is enough.
  void import('$app/navigation').then(({ goto }) => goto(`/login?next=${encodeURIComponent(next)}`, { replaceState: true }));
}

function createWs(): WsClient {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  let everConnected = false;
  return createWsClient({
    url: `${scheme}://${location.host}/graphql`,
    lazy: true,
    keepAlive: 20_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** retries, 15_000) * (0.75 + Math.random() / 2)));
    },
    on: {
      connecting: () => connection.set(everConnected ? 'reconnecting' : 'connecting'),
      connected: () => {
        if (everConnected) connection.reconnected();
        everConnected = true;
        connection.set('live');
      },
      closed: (event) => {
        // 4403: the server refused our cookie (session ended or wrong origin).
        if ((event as CloseEvent | undefined)?.code === 4403) void checkSession();
        if (everConnected) connection.set('reconnecting');
      },
    },
  });
}

async function checkSession() {
  const res = await fetch('/graphql', {
    method: 'POST',
    credentials: 'include',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ me { username } }' }),
  }).catch(() => null);
  if (!res) return;
  const body = (await res.json().catch(() => null)) as { data?: { me: unknown } } | null;
  if (body?.data && !body.data.me) sendToLogin();
}

/** getClient returns the app's urql client, created on first use (browser only). */
export function getClient(): Client {
  if (client) return client;
  ws = createWs();
  const socket = ws;
  client = new Client({
    url: '/graphql',
    preferGetMethod: false,
    fetchOptions: { credentials: 'include', headers: { 'content-type': 'application/json' } },
    requestPolicy: 'network-only',
    exchanges: [
      mapExchange({
        onError(error, op) {
          // Login and ChangePassword answer UNAUTHENTICATED for a wrong password: their forms say so.
          if (isUnauthenticated(error) && !PASSWORD_CHECKS.has(operationName(op) ?? '')) sendToLogin();
        },
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = socket.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  return client;
}
