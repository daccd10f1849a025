import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { schema } from './schema.ts';
import { socketErrors, useErrorCodes } from './error-codes.ts';
import type { GraphQLContext, CookieToSet } from './context.ts';
import type { Services } from '../services.ts';
import type { Viewer } from '../users/roles.ts';
import { bearerFrom } from '../security/tokens.ts';
import { readCookie, serializeCookie, SESSION_COOKIE } from '../http/cookies.ts';

/**
 * The GraphQL pipeline: one Yoga instance serves HTTP, and graphql-ws reuses it
 * through `yoga.getEnveloped`, so auth, query limits (graphql-armor) and error
 * masking hold over WebSocket exactly as over HTTP.
 */
interface ServerContext {
  req?: IncomingMessage;
  /** set by the WebSocket path: the socket was authenticated in onConnect */
  wsViewer?: Viewer | null;
  wsIp?: string;
}

/** Query limits, the same for every transport. */
export const ARMOR = {
  maxDepth: { n: 12 },
  maxAliases: { n: 20 },
  maxTokens: { n: 4000 },
  // a full page (first: 500) of hosts or alerts with their relations must fit
  costLimit: { maxCost: 100_000 },
  maxDirectives: { n: 20 },
  blockFieldSuggestion: { enabled: true },
};

function cookiePlugin(jar: WeakMap<Request, CookieToSet[]>, secure: boolean): Plugin {
  return {
    onResponse({ request, response }) {
      for (const c of jar.get(request) ?? []) response.headers.append('set-cookie', serializeCookie(c.name, c.value, c.maxAgeSeconds, secure));
    },
  };
}

/**
 * ownOrigin: a browser page of Vigil's own - the origin of VIGIL_BASE_URL, or the
 * very host the socket was opened to (a same-origin page when Vigil is reached
 * by another name or port than the base URL's). A foreign site's page has
 * neither, so its cookie is never accepted.
 */
export function ownOrigin(origin: string | undefined, host: string | undefined, baseOrigin: string): boolean {
  if (!origin) return false;
  if (origin === baseOrigin) return true;
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

type Credentials = { bearer?: string; sessionToken?: string };
interface SocketAuth {
  creds: Credentials;
  viewer: Viewer;
  socket: { close(code: number, reason: string): void };
}
interface SocketExtra {
  auth?: SocketAuth;
}
/** how often open graphql-ws sockets are checked even without a credential change (session expiry) */
const RECHECK_EVERY_MS = 60_000;

/**
 * createSocketAuth keeps the credentials of every open graphql-ws socket and checks them again:
 * before each operation, at once when a user's credentials change (token revoked, user deleted or
 * changed, logout - the `credentialsChanged` topic, so on every instance), and every minute. A
 * socket whose credentials no longer sign anyone in is closed with 4403, ending its subscriptions.
 */
function createSocketAuth(services: Services) {
  const open = new Set<SocketAuth>();
  const recheck = async (auth: SocketAuth): Promise<Viewer | null> => {
    const viewer = await services.users.resolveViewer(auth.creds).catch(() => auth.viewer);
    if (viewer) {
      auth.viewer = viewer;
      return viewer;
    }
    if (open.delete(auth)) auth.socket.close(4403, 'Forbidden');
    return null;
  };
  const recheckAll = async (userId?: string) => {
    for (const auth of [...open]) if (!userId || auth.viewer.userId === userId) await recheck(auth);
  };
  const changes = services.pubsub.subscribe('credentialsChanged');
  void (async () => {
    for await (const { userId } of changes) await recheckAll(userId).catch((err) => services.log.warn('graphql-ws credential check failed', { error: err }));
  })();
  const timer = setInterval(() => void recheckAll().catch(() => undefined), RECHECK_EVERY_MS);
  timer.unref();
  return {
    add(creds: Credentials, viewer: Viewer, socket: SocketAuth['socket']): SocketAuth {
      const auth = { creds, viewer, socket };
      open.add(auth);
      return auth;
    },
    remove: (auth: SocketAuth) => void open.delete(auth),
    recheck,
    stop() {
      clearInterval(timer);
      void changes.return?.();
    },
  };
}

export interface GraphQLServer {
  yoga: YogaServerInstance<ServerContext, GraphQLContext>;
  handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void;
  close(): Promise<void>;
}

/** createGraphQLServer builds Yoga and the graphql-ws endpoint sharing its pipeline. */
export function createGraphQLServer(services: Services): GraphQLServer {
  const jar = new WeakMap<Request, CookieToSet[]>();
  const secure = services.config.baseUrl.startsWith('https://');
  const baseOrigin = new URL(services.config.baseUrl).origin;

  const yoga = createYoga<ServerContext, GraphQLContext>({
    schema: schema as never,
    graphqlEndpoint: '/graphql',
    maskedErrors: true,
    landingPage: false,
    graphiql: false,
    logging: {
      debug: (...args) => services.log.debug(String(args[0])),
      info: (...args) => services.log.debug(String(args[0])),
      warn: (...args) => services.log.warn(String(args[0])),
      error: (...args) => services.log.error('graphql error', { error: args[0] instanceof Error ? args[0] : String(args[0]) }),
    },
    plugins: [useErrorCodes(), EnvelopArmorPlugin(ARMOR), useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'x-vigil-csrf'] }), cookiePlugin(jar, secure)],
    // Cross-origin browser calls only from VIGIL_BASE_URL's origin: no other site's page may read
    // answers or send the signed-in user's cookie (Yoga's default reflects any origin).
    cors: (request) => (request.headers.get('origin') === baseOrigin ? { origin: [baseOrigin], credentials: true } : false),
    context: async (initial): Promise<GraphQLContext> => {
      const cookies: CookieToSet[] = [];
      const request = (initial as { request?: Request }).request;
      if (initial.wsViewer !== undefined) {
        return { services, viewer: initial.wsViewer, ip: initial.wsIp, cookies };
      }
      if (request) jar.set(request, cookies);
      const bearer = bearerFrom(request?.headers.get('authorization'));
      const viewer = await services.users.resolveViewer({ bearer, sessionToken: readCookie(request?.headers.get('cookie'), SESSION_COOKIE) });
      return { services, viewer, badToken: Boolean(bearer) && !viewer, ip: initial.req?.socket.remoteAddress, cookies };
    },
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  // Counted once the operation's event stream is being consumed (after the current
  // macrotask), so a client can tell its subscription is really listening.
  const started = services.metrics.counter('vigil_graphql_subscriptions_started_total', 'subscriptions whose event stream is live');
  const sockets = createSocketAuth(services);

  const disposeWs = useServer(
    {
      execute: (args) => (args as ExecutionArgs & { rootValue: { execute: (a: unknown) => unknown } }).rootValue.execute(args) as never,
      subscribe: (args) => (args as ExecutionArgs & { rootValue: { subscribe: (a: unknown) => unknown } }).rootValue.subscribe(args) as never,
      /**
       * Authenticate once per socket: a token in connectionParams.authorization
       * from any client, or the session cookie only from a page of our own origin.
       */
      onConnect: async (ctx) => {
        const req = ctx.extra.request;
        const params = (ctx.connectionParams ?? {}) as Record<string, unknown>;
        const auth = typeof params.authorization === 'string' ? params.authorization : typeof params.Authorization === 'string' ? params.Authorization : undefined;
        const token = bearerFrom(auth) ?? (auth && !auth.includes(' ') ? auth : undefined);
        let creds: Credentials | null = null;
        if (token) creds = { bearer: token };
        else {
          const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
          if (cookie && ownOrigin(req.headers.origin, req.headers.host, baseOrigin)) creds = { sessionToken: cookie };
        }
        const viewer = creds ? await services.users.resolveViewer(creds) : null;
        if (!creds || !viewer) return false;
        (ctx.extra as SocketExtra).auth = sockets.add(creds, viewer, ctx.extra.socket);
        return true;
      },
      onClose: (ctx) => {
        const auth = (ctx.extra as SocketExtra).auth;
        if (auth) sockets.remove(auth);
      },
      onOperation: () => {
        setImmediate(() => started.inc());
      },
      onSubscribe: async (ctx, _id, payload) => {
        const extra = ctx.extra as SocketExtra & { request: IncomingMessage };
        // each operation runs as the credentials are now (a revoked token, a deleted user or an ended
        // session closes the socket instead)
        const viewer = extra.auth ? await sockets.recheck(extra.auth) : null;
        if (!viewer) return [new GraphQLError('not signed in', { extensions: { code: 'UNAUTHENTICATED' } })];
        const { schema: s, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          wsViewer: viewer,
          wsIp: extra.request.socket.remoteAddress,
          req: extra.request,
          params: payload,
        } as never);
        let document;
        try {
          document = parse(payload.query);
        } catch (err) {
          // as over HTTP: a query that does not parse says so in its code
          if (err instanceof GraphQLError && !err.extensions?.code && !/\blimit\b/.test(err.message)) return [new GraphQLError(err.message, { source: err.source, positions: err.positions, extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
          if (err instanceof GraphQLError) return socketErrors([err]);
          throw err;
        }
        const args = {
          schema: s,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        // graphql-armor rejects by throwing as well as by returning errors; either way the client gets them
        try {
          const errors = validate(args.schema, args.document);
          if (errors.length) return socketErrors(errors);
        } catch (err) {
          if (err instanceof GraphQLError) return socketErrors([err]);
          throw err;
        }
        return args as never;
      },
    },
    wss,
  );

  return {
    yoga,
    handleUpgrade(req, socket, head) {
      // Origin is checked in onConnect: a foreign page's cookie is never accepted.
      wss.handleUpgrade(req, socket, head, (client) => wss.emit('connection', client, req));
    },
    async close() {
      sockets.stop();
      await disposeWs.dispose();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
