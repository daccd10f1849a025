import type { Db } from '../db.ts';
import type { Logger } from '../log.ts';
import type { Clock } from '../clock.ts';
import { newId } from '../ids.ts';
import { generatePassword, hashPassword, verifyPassword } from '../security/passwords.ts';
import { hashToken, newToken } from '../security/tokens.ts';
import { recordAudit, type Actor } from '../audit/audit.ts';
import { alreadyExists, conflict, notFound, unauthenticated, isUniqueViolation, badInput } from '../errors.ts';
import { weakerRole, type Role, type Viewer } from './roles.ts';
import { LoginThrottle } from './login-throttle.ts';
import type { VigilPubSub } from '../pubsub.ts';

/** Users, browser sessions and API tokens. */
export interface UsersDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  sessionHours: number;
  /** told when a user's credentials change, so open sockets are checked again */
  pubsub?: VigilPubSub;
}

// A session's lastUsedAt is refreshed at most this often (saves a write per request).
const TOUCH_EVERY_MS = 60_000;

/** ensureFirstAdmin creates `admin` on an empty user table; the password comes from config or is printed once. */
export async function ensureFirstAdmin(deps: UsersDeps, configuredPassword: string | undefined, announce: (line: string) => void): Promise<void> {
  if ((await deps.db.user.count()) > 0) return;
  const password = configuredPassword ?? generatePassword();
  try {
    await deps.db.user.create({
      data: { id: newId(), username: 'admin', role: 'admin', passwordHash: await hashPassword(password) },
    });
  } catch (err) {
    if (isUniqueViolation(err)) return; // another instance created it first
    throw err;
  }
  if (!configuredPassword) {
    announce(`vigil: created user "admin" with password: ${password}  (shown once; set VIGIL_ADMIN_PASSWORD to choose it)`);
  }
  deps.log.info('first admin user created', { username: 'admin', passwordSource: configuredPassword ? 'VIGIL_ADMIN_PASSWORD' : 'generated' });
}

// Checked against when the username is unknown, so a wrong name costs as long as a wrong password.
let decoy: Promise<string> | undefined;

export function createUsers(deps: UsersDeps) {
  const { db, clock } = deps;
  const throttle = new LoginThrottle(() => clock.now().getTime());
  const credentialsChanged = (userId: string) => deps.pubsub?.publish('credentialsChanged', { userId });

  /** passwordMatches checks `password` against the user's hash, or a decoy hash when there is no such user. */
  async function passwordMatches(user: { passwordHash: string } | null, password: string): Promise<boolean> {
    if (user) return verifyPassword(password, user.passwordHash);
    await verifyPassword(password, await (decoy ??= hashPassword(generatePassword())));
    return false;
  }

  async function viewerFromSession(token: string): Promise<Viewer | null> {
    const session = await db.session.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
    const now = clock.now();
    if (!session || session.expiresAt <= now) return null;
    if (now.getTime() - session.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
      await db.session.update({ where: { id: session.id }, data: { lastUsedAt: now } }).catch(() => undefined);
    }
    return { userId: session.userId, username: session.user.username, role: session.user.role as Role, via: 'session', sessionId: session.id };
  }

  async function viewerFromApiToken(token: string): Promise<Viewer | null> {
    const row = await db.apiToken.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
    if (!row || row.revokedAt) return null;
    const now = clock.now();
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
      await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: now } }).catch(() => undefined);
    }
    // the token's role, capped by its owner's current role (a demoted admin's tokens are demoted with them)
    return { userId: row.userId, username: row.user.username, role: weakerRole(row.role as Role, row.user.role as Role), via: 'token', tokenId: row.id, tokenName: row.name };
  }

  return {
    /** resolveViewer authenticates a request by bearer token first, then by session cookie. */
    async resolveViewer(creds: { bearer?: string; sessionToken?: string }): Promise<Viewer | null> {
      if (creds.bearer) return viewerFromApiToken(creds.bearer);
      if (creds.sessionToken) return viewerFromSession(creds.sessionToken);
      return null;
    },

    /** login checks a password and opens a session; failures are audited and say nothing about which part was wrong. */
    async login(username: string, password: string, meta: { ip?: string }) {
      const wait = throttle.waitMs(username, meta.ip);
      if (wait > 0) throw unauthenticated(`too many failed sign-ins: try again in ${Math.ceil(wait / 1000)} s`, { retryAfterSeconds: Math.ceil(wait / 1000) });
      const user = await db.user.findUnique({ where: { username } });
      const ok = await passwordMatches(user, password);
      const now = clock.now();
      if (!user || !ok) {
        throttle.failed(username, meta.ip);
        await recordAudit(db, { name: username || '(empty)' }, { action: 'auth.login_failed', targetKind: 'user', detail: { ip: meta.ip } }, now);
        throw unauthenticated('invalid username or password');
      }
      throttle.succeeded(username, meta.ip);
      const token = newToken('session');
      const expiresAt = new Date(now.getTime() + deps.sessionHours * 3600_000);
      await db.$transaction(async (tx) => {
        await tx.session.create({ data: { id: newId(), tokenHash: hashToken(token), userId: user.id, createdAt: now, expiresAt, lastUsedAt: now } });
        await tx.user.update({ where: { id: user.id }, data: { lastLoginAt: now } });
        await recordAudit(tx, { id: user.id, name: user.username }, { action: 'auth.login', targetKind: 'user', targetId: user.id, detail: { ip: meta.ip } }, now);
      });
      return { user, token, expiresAt };
    },

    /** logout ends the session a cookie names (no-op for tokens). */
    async logout(viewer: Viewer): Promise<void> {
      if (viewer.sessionId) await db.session.deleteMany({ where: { id: viewer.sessionId } });
      await recordAudit(db, { id: viewer.userId, name: viewer.username }, { action: 'auth.logout', targetKind: 'user', targetId: viewer.userId }, clock.now());
      credentialsChanged(viewer.userId);
    },

    /**
     * changeOwnPassword: the signed-in user's password, checked first (a wrong one is a field error,
     * not a sign-in: no session is opened); every other session of theirs ends, this one stays.
     */
    async changeOwnPassword(viewer: Viewer, currentPassword: string, newPassword: string): Promise<void> {
      const user = await db.user.findUnique({ where: { id: viewer.userId } });
      if (!user) throw unauthenticated('not signed in');
      if (!(await passwordMatches(user, currentPassword))) throw badInput([{ path: 'currentPassword', message: 'is not your current password' }]);
      const now = clock.now();
      await db.$transaction(async (tx) => {
        await tx.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(newPassword) } });
        await tx.session.deleteMany({ where: { userId: user.id, ...(viewer.sessionId ? { id: { not: viewer.sessionId } } : {}) } });
        await recordAudit(tx, { id: user.id, name: user.username }, { action: 'user.password_change', targetKind: 'user', targetId: user.id }, now);
      });
      credentialsChanged(user.id);
    },

    async createUser(actor: Actor, input: { username: string; password: string; role: Role }) {
      try {
        return await db.$transaction(async (tx) => {
          const user = await tx.user.create({
            data: { id: newId(), username: input.username, role: input.role, passwordHash: await hashPassword(input.password) },
          });
          await recordAudit(tx, actor, { action: 'user.create', targetKind: 'user', targetId: user.id, detail: { username: user.username, role: user.role } }, clock.now());
          return user;
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw alreadyExists('username', `username "${input.username}" is taken`);
        throw err;
      }
    },

    async updateUser(actor: Actor, id: string, input: { role?: Role; password?: string }) {
      const existing = await db.user.findUnique({ where: { id } });
      if (!existing) throw notFound('user', id);
      if (input.role && input.role !== 'admin' && existing.role === 'admin') {
        const admins = await db.user.count({ where: { role: 'admin' } });
        if (admins <= 1) throw conflict('cannot demote the last admin');
      }
      return db.$transaction(async (tx) => {
        const user = await tx.user.update({
          where: { id },
          data: { role: input.role, passwordHash: input.password ? await hashPassword(input.password) : undefined },
        });
        // A changed password ends every session of that user.
        if (input.password) await tx.session.deleteMany({ where: { userId: id } });
        await recordAudit(tx, actor, { action: 'user.update', targetKind: 'user', targetId: id, detail: { role: input.role, passwordChanged: Boolean(input.password) } }, clock.now());
        return user;
      }).finally(() => credentialsChanged(id));
    },

    async deleteUser(actor: Actor, id: string): Promise<boolean> {
      const existing = await db.user.findUnique({ where: { id } });
      if (!existing) throw notFound('user', id);
      if (existing.id === actor.id) throw conflict('you cannot delete yourself');
      if (existing.role === 'admin' && (await db.user.count({ where: { role: 'admin' } })) <= 1) throw conflict('cannot delete the last admin');
      await db.$transaction(async (tx) => {
        await tx.user.delete({ where: { id } });
        await recordAudit(tx, actor, { action: 'user.delete', targetKind: 'user', targetId: id, detail: { username: existing.username } }, clock.now());
      });
      credentialsChanged(id);
      return true;
    },

    /** createApiToken issues a token for the acting user, returning it once. */
    async createApiToken(actor: Actor & { id: string }, input: { name: string; role: Role }) {
      const token = newToken('api');
      const apiToken = await db.$transaction(async (tx) => {
        const row = await tx.apiToken.create({
          data: { id: newId(), name: input.name, role: input.role, userId: actor.id, tokenHash: hashToken(token), prefix: token.slice(0, 8), createdAt: clock.now() },
        });
        await recordAudit(tx, actor, { action: 'api_token.create', targetKind: 'api_token', targetId: row.id, detail: { name: row.name, role: row.role } }, clock.now());
        return row;
      });
      return { token, apiToken };
    },

    async revokeApiToken(actor: Actor, id: string) {
      const row = await db.apiToken.findUnique({ where: { id } });
      if (!row) throw notFound('API token', id);
      return db.$transaction(async (tx) => {
        const updated = await tx.apiToken.update({ where: { id }, data: { revokedAt: row.revokedAt ?? clock.now() } });
        await recordAudit(tx, actor, { action: 'api_token.revoke', targetKind: 'api_token', targetId: id, detail: { name: row.name } }, clock.now());
        return updated;
      }).finally(() => credentialsChanged(row.userId));
    },
  };
}

export type UsersService = ReturnType<typeof createUsers>;
