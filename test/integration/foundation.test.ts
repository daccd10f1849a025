import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, testDatabase, TEST_PROVIDER, type ServerHandle, type TestDatabase } from '../helpers/server.ts';
import { errorCode, fieldPaths, gql, gqlOk, login, tokenFor } from '../helpers/gql.ts';

/**
 * The foundation, through the real server process and the public API, on the
 * provider this project runs (sqlite or postgres).
 */
let db: TestDatabase;
let server: ServerHandle;
let admin: string;

beforeAll(async () => {
  db = await testDatabase();
  server = await startServer({ env: db.env });
  admin = await login(server.url);
});

afterAll(async () => {
  await server?.stop();
  await db?.dispose();
});

const ENROLL = 'mutation($i:EnrollHostInput!){ enrollHost(input:$i){ agentToken host { id name alwaysOn status scheduleVersion } } }';
const CREATE_SCHEDULE = 'mutation($i:CreateScheduleInput!){ createSchedule(input:$i){ id cron timezone nextRuns(count:3) host { scheduleVersion } } }';
const CREATE_CHANNEL = 'mutation($i:ChannelInput!){ createChannel(input:$i){ id name kind config { __typename ... on WebhookConfig { url bearerToken bearerTokenSet headerName headerValue headerValueSet } ... on SmtpConfig { host port password passwordSet } ... on NtfyConfig { topic accessToken accessTokenSet } } } }';

async function count(query: string, pick: (d: any) => number) {
  return pick(await gqlOk(server.url, query, {}, { cookie: admin }));
}

describe(`foundation on ${TEST_PROVIDER}`, () => {
  it('answers me after login as admin with no other setup', async () => {
    const d = await gqlOk(server.url, '{ me { username role } }', {}, { cookie: admin });
    expect(d.me).toEqual({ username: 'admin', role: 'ADMIN' });
  });

  it('sets an HttpOnly SameSite=Lax session cookie on login and clears it on logout', async () => {
    const r = await gql(server.url, 'mutation { login(username:"admin", password:"admin-password-for-tests"){ username } }');
    const cookie = r.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^vigil_session=vgs_/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    const session = cookie.split(';')[0]!;
    const out = await gql(server.url, 'mutation { logout }', {}, { cookie: session });
    expect(out.data).toEqual({ logout: true });
    const after = await gql(server.url, '{ me { username } }', {}, { cookie: session });
    expect(after.data).toEqual({ me: null });
  });

  it('rejects a wrong password with UNAUTHENTICATED and audits the attempt', async () => {
    const r = await gql(server.url, 'mutation { login(username:"admin", password:"nope-nope"){ username } }');
    expect(errorCode(r)).toBe('UNAUTHENTICATED');
    const d = await gqlOk(server.url, '{ auditLog(first: 20, action: "auth.login_failed") { edges { node { actor action } } } }', {}, { cookie: admin });
    expect(d.auditLog.edges.map((e: any) => e.node.action)).toContain('auth.login_failed');
  });

  it('shows sign-in entries (what was typed as a user name, from where) to admins only; filters the log by actor', async () => {
    await gql(server.url, 'mutation { login(username:"typed-my-password-here", password:"x"){ username } }');
    const query = '{ auditLog(first: 200) { totalCount edges { node { actor action } } } }';
    const asAdmin = await gqlOk(server.url, query, {}, { cookie: admin });
    expect(asAdmin.auditLog.edges.map((e: any) => e.node.actor)).toContain('typed-my-password-here');
    for (const role of ['VIEWER', 'OPERATOR'] as const) {
      const seen = await gqlOk(server.url, query, {}, { token: await tokenFor(server.url, role, admin) });
      expect(seen.auditLog.edges.filter((e: any) => e.node.action.startsWith('auth.'))).toEqual([]);
      expect(seen.auditLog.totalCount).toBe(seen.auditLog.edges.length);
      expect(seen.auditLog.totalCount).toBeGreaterThan(0);
    }
    const byActor = await gqlOk(server.url, '{ auditLog(first: 200, actor: "typed-my-password-here") { edges { node { actor action } } } }', {}, { cookie: admin });
    expect(byActor.auditLog.edges.map((e: any) => e.node)).toEqual([{ actor: 'typed-my-password-here', action: 'auth.login_failed' }]);
  });

  it('refuses queries without credentials with UNAUTHENTICATED', async () => {
    const r = await gql(server.url, '{ hosts { totalCount } }');
    expect(errorCode(r)).toBe('UNAUTHENTICATED');
    // a mangled session cookie is no session (and no error): a valid token next to it still works
    expect(errorCode(await gql(server.url, '{ hosts { totalCount } }', {}, { cookie: 'vigil_session=%ZZ' }))).toBe('UNAUTHENTICATED');
    const viewer = await tokenFor(server.url, 'VIEWER', admin);
    expect((await gql(server.url, '{ hosts { totalCount } }', {}, { cookie: 'vigil_session=%ZZ', token: viewer })).data?.hosts.totalCount).toBeTypeOf('number');
    const bad = await gql(server.url, '{ hosts { totalCount } }', {}, { token: 'vgl_not-a-real-token' });
    expect(errorCode(bad)).toBe('UNAUTHENTICATED');
  });

  it('enforces roles: a viewer cannot acknowledge, an operator cannot create a channel', async () => {
    const viewer = await tokenFor(server.url, 'VIEWER', admin);
    const operator = await tokenFor(server.url, 'OPERATOR', admin);
    const ack = await gql(server.url, 'mutation { acknowledgeAlert(id:"01JD0000000000000000000000"){ id } }', {}, { token: viewer });
    expect(errorCode(ack)).toBe('FORBIDDEN');
    const ch = await gql(server.url, CREATE_CHANNEL, { i: { name: 'op-channel', webhook: { url: 'http://127.0.0.1:9/x' } } }, { token: operator });
    expect(errorCode(ch)).toBe('FORBIDDEN');
    const enroll = await gql(server.url, ENROLL, { i: { name: 'viewer-host' } }, { token: viewer });
    expect(errorCode(enroll)).toBe('FORBIDDEN');
    // what each role may do still works
    const reads = await gql(server.url, '{ alertCounts { open } }', {}, { token: viewer });
    expect(reads.data?.alertCounts.open).toBeTypeOf('number');
    const opEnroll = await gql(server.url, ENROLL, { i: { name: 'operator-host' } }, { token: operator });
    expect(opEnroll.data?.enrollHost.host.name).toBe('operator-host');
  });

  it("caps an API token's role by its owner's current role", async () => {
    const created = await gqlOk(server.url, 'mutation { createUser(username:"lead", password:"lead-password-123", role:ADMIN){ id } }', {}, { cookie: admin });
    const lead = await login(server.url, 'lead', 'lead-password-123');
    const token = (await gqlOk(server.url, 'mutation { createApiToken(name:"lead-script", role:ADMIN){ token } }', {}, { cookie: lead })).createApiToken.token as string;
    const asAdmin = await gql(server.url, CREATE_CHANNEL, { i: { name: 'lead-channel', ntfy: { topic: 'lead' } } }, { token });
    expect(asAdmin.errors).toBeUndefined();
    await gqlOk(server.url, 'mutation($id:ID!){ updateUser(id:$id, role:VIEWER){ role } }', { id: created.createUser.id }, { cookie: admin });
    const demoted = await gql(server.url, CREATE_CHANNEL, { i: { name: 'lead-channel-2', ntfy: { topic: 'lead' } } }, { token });
    expect(errorCode(demoted)).toBe('FORBIDDEN');
    const reads = await gql(server.url, '{ me { username role } }', {}, { token });
    expect(reads.data?.me).toEqual({ username: 'lead', role: 'VIEWER' });
  });

  it('answers CONFLICT naming the field when a unique name is taken', async () => {
    await gqlOk(server.url, ENROLL, { i: { name: 'twin-host' } }, { cookie: admin });
    const host = await gql(server.url, ENROLL, { i: { name: 'twin-host' } }, { cookie: admin });
    expect(errorCode(host)).toBe('CONFLICT');
    expect(fieldPaths(host)).toEqual(['name']);
    await gqlOk(server.url, CREATE_CHANNEL, { i: { name: 'twin-channel', ntfy: { topic: 'x' } } }, { cookie: admin });
    const channel = await gql(server.url, CREATE_CHANNEL, { i: { name: 'twin-channel', ntfy: { topic: 'y' } } }, { cookie: admin });
    expect(errorCode(channel)).toBe('CONFLICT');
    expect(fieldPaths(channel)).toEqual(['name']);
    const user = await gql(server.url, 'mutation { createUser(username:"admin", password:"another-password-1", role:VIEWER){ id } }', {}, { cookie: admin });
    expect(errorCode(user)).toBe('CONFLICT');
    expect(fieldPaths(user)).toEqual(['username']);
  });

  it('searches literally: _, % and \\ are characters, not wildcards', async () => {
    for (const name of ['lit_01', 'lit-01', 'lit%02', 'litx02', 'lit\\03']) await gqlOk(server.url, ENROLL, { i: { name, tags: name === 'lit_01' ? ['env_prod'] : ['env-prod'] } }, { cookie: admin });
    const names = async (filter: Record<string, unknown>) =>
      (await gqlOk(server.url, 'query($f:HostFilter){ hosts(filter:$f, first:50){ edges { node { name } } } }', { f: filter }, { cookie: admin })).hosts.edges.map((e: any) => e.node.name).sort();
    expect(await names({ search: 'lit_01' })).toEqual(['lit_01']);
    expect(await names({ search: 'LIT%0' })).toEqual(['lit%02']);
    expect(await names({ search: 'lit\\0' })).toEqual(['lit\\03']);
    expect(await names({ search: 'lit' })).toEqual(['lit%02', 'lit-01', 'lit\\03', 'lit_01', 'litx02'].sort());
    expect(await names({ search: 'lit', tags: ['env_prod'] })).toEqual(['lit_01']);
  });

  it('answers NOT_FOUND for unknown ids', async () => {
    for (const [q, v] of [
      ['mutation($id:ID!){ acknowledgeAlert(id:$id){ id } }', { id: 'nope' }],
      ['mutation($id:ID!){ resolveAlert(id:$id){ id } }', { id: 'nope' }],
      ['mutation($id:ID!){ updateHost(id:$id, input:{ alwaysOn:false }){ id } }', { id: 'nope' }],
      ['mutation($id:ID!){ deleteChannel(id:$id, confirmName:"x") }', { id: 'nope' }],
      ['mutation($id:ID!){ deleteSchedule(id:$id) }', { id: 'nope' }],
      ['mutation($id:ID!){ rotateAgentToken(hostId:$id){ agentToken } }', { id: 'nope' }],
    ] as const) {
      const r = await gql(server.url, q, v, { cookie: admin });
      expect(errorCode(r), q).toBe('NOT_FOUND');
    }
    const createForMissingHost = await gql(server.url, CREATE_SCHEDULE, { i: { hostId: 'nope', kind: 'CHECK', cron: '0 3 * * 0' } }, { cookie: admin });
    expect(errorCode(createForMissingHost)).toBe('NOT_FOUND');
  });

  it('enrolls a host, shows the agent token once and stores only its hash', async () => {
    const d = await gqlOk(server.url, ENROLL, { i: { name: 'alfa-01', tags: ['prod', 'db'] } }, { cookie: admin });
    expect(d.enrollHost.agentToken).toMatch(/^vga_/);
    expect(d.enrollHost.host).toMatchObject({ name: 'alfa-01', alwaysOn: true, status: 'NEVER_SEEN', scheduleVersion: 0 });
    const again = await gqlOk(server.url, 'query($id:ID!){ host(id:$id){ name tags } }', { id: d.enrollHost.host.id }, { cookie: admin });
    expect(again.host).toEqual({ name: 'alfa-01', tags: ['prod', 'db'] });
    const rotated = await gqlOk(server.url, 'mutation($id:ID!){ rotateAgentToken(hostId:$id){ agentToken } }', { id: d.enrollHost.host.id }, { cookie: admin });
    expect(rotated.rotateAgentToken.agentToken).not.toBe(d.enrollHost.agentToken);
  });

  it('creates schedules with 6-field crons and timezones, bumping the host schedule version each time', async () => {
    const host = (await gqlOk(server.url, ENROLL, { i: { name: 'sched-host' } }, { cookie: admin })).enrollHost.host;
    const s1 = await gqlOk(server.url, CREATE_SCHEDULE, { i: { hostId: host.id, kind: 'BACKUP', cron: '*/2 * * * * *', paths: ['/srv'] } }, { cookie: admin });
    expect(s1.createSchedule.host.scheduleVersion).toBe(1);
    expect(s1.createSchedule.nextRuns).toHaveLength(3);
    const gap = Date.parse(s1.createSchedule.nextRuns[1]) - Date.parse(s1.createSchedule.nextRuns[0]);
    expect(gap).toBe(2000);
    // a timezone is stored as the IANA database spells it, whatever its case
    const s2 = await gqlOk(server.url, CREATE_SCHEDULE, { i: { hostId: host.id, kind: 'BACKUP', cron: '30 2 * * *', timezone: 'europe/london', paths: ['/home'] } }, { cookie: admin });
    expect(s2.createSchedule.host.scheduleVersion).toBe(2);
    expect(s2.createSchedule.timezone).toBe('Europe/London');
    const upd = await gqlOk(server.url, 'mutation($id:ID!){ updateSchedule(id:$id, input:{ enabled:false }){ enabled host { scheduleVersion } } }', { id: s2.createSchedule.id }, { cookie: admin });
    expect(upd.updateSchedule).toEqual({ enabled: false, host: { scheduleVersion: 3 } });
    await gqlOk(server.url, 'mutation($id:ID!){ deleteSchedule(id:$id) }', { id: s1.createSchedule.id }, { cookie: admin });
    const h = await gqlOk(server.url, 'query($id:ID!){ host(id:$id){ scheduleVersion schedules { id } } }', { id: host.id }, { cookie: admin });
    expect(h.host.scheduleVersion).toBe(4);
    expect(h.host.schedules).toHaveLength(1);
    // @daily and its kin are kept as the five fields they stand for (what the agent's cron runs)
    const s3 = await gqlOk(server.url, CREATE_SCHEDULE, { i: { hostId: host.id, kind: 'CHECK', cron: '@Weekly' } }, { cookie: admin });
    expect(s3.createSchedule.cron).toBe('0 0 * * 0');
    expect(new Date(s3.createSchedule.nextRuns[0]).getUTCDay()).toBe(0);
    const preview = await gqlOk(server.url, '{ cronPreview(cron:"@daily", count: 2) { valid nextRuns } }', {}, { cookie: admin });
    expect(preview.cronPreview.valid).toBe(true);
    expect(Date.parse(preview.cronPreview.nextRuns[1]) - Date.parse(preview.cronPreview.nextRuns[0])).toBe(24 * 3600_000);
  });

  it('rejects bad input with BAD_USER_INPUT naming every bad field, and writes nothing', async () => {
    const host = (await gqlOk(server.url, ENROLL, { i: { name: 'input-host' } }, { cookie: admin })).enrollHost.host;
    const schedulesBefore = await count(`{ host(id:"${host.id}") { schedules { id } scheduleVersion } }`, (d) => d.host.schedules.length + d.host.scheduleVersion);
    const channelsBefore = await count('{ channels { id } }', (d) => d.channels.length);

    const cron = await gql(server.url, CREATE_SCHEDULE, { i: { hostId: host.id, kind: 'BACKUP', cron: '61 * * * *', timezone: 'Mars/Base', paths: ['/x'] } }, { cookie: admin });
    expect(errorCode(cron)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(cron).sort()).toEqual(['cron', 'timezone']);

    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'w', webhook: { url: 'ftp://x' } }, 'webhook.url'],
      [{ name: 's', smtp: { host: 'mail.example.com', port: 70000, encryption: 'STARTTLS', from: 'a@example.com', to: 'b@example.com' } }, 'smtp.port'],
      [{ name: 'n', ntfy: { topic: '' } }, 'ntfy.topic'],
      [{ name: 'x'.repeat(101), webhook: { url: 'https://hooks.example.com/x' } }, 'name'],
    ];
    for (const [input, path] of cases) {
      const r = await gql(server.url, CREATE_CHANNEL, { i: input }, { cookie: admin });
      expect(errorCode(r), path).toBe('BAD_USER_INPUT');
      expect(fieldPaths(r), path).toEqual([path]);
      expect(r.errors![0]!.message).toContain(path);
    }
    // several bad fields at once are all named
    const many = await gql(server.url, CREATE_CHANNEL, { i: { name: '', smtp: { host: '', port: 0, encryption: 'NONE', from: 'nobody', to: 'x' } } }, { cookie: admin });
    expect(fieldPaths(many).sort()).toEqual(['name', 'smtp.from', 'smtp.host', 'smtp.port', 'smtp.to']);

    expect(await count(`{ host(id:"${host.id}") { schedules { id } scheduleVersion } }`, (d) => d.host.schedules.length + d.host.scheduleVersion)).toBe(schedulesBefore);
    expect(await count('{ channels { id } }', (d) => d.channels.length)).toBe(channelsBefore);
  });

  it('keeps channel secrets out of every response and out of the database in plain text', async () => {
    const secrets = { bearer: 'bearer-SECRET-7f3a91', header: 'header-SECRET-0c55e2', smtp: 'smtp-SECRET-91bd04' };
    const w = await gqlOk(server.url, CREATE_CHANNEL, { i: { name: 'ops-webhook', webhook: { url: 'https://hooks.example.com/vigil', bearerToken: secrets.bearer, headerName: 'X-Team', headerValue: secrets.header } } }, { cookie: admin });
    expect(w.createChannel.config).toEqual({ __typename: 'WebhookConfig', url: 'https://hooks.example.com/vigil', bearerToken: '********', bearerTokenSet: true, headerName: 'X-Team', headerValue: '********', headerValueSet: true });
    const s = await gqlOk(server.url, CREATE_CHANNEL, { i: { name: 'ops-mail', smtp: { host: 'mail.example.com', port: 587, encryption: 'STARTTLS', username: 'vigil', password: secrets.smtp, from: 'Vigil <vigil@example.com>', to: 'ops@example.com' } } }, { cookie: admin });
    expect(s.createChannel.config.password).toBe('********');

    // update with the placeholder keeps the secret, "" clears it
    const kept = await gqlOk(server.url, 'mutation($id:ID!,$i:ChannelUpdateInput!){ updateChannel(id:$id,input:$i){ config { ... on WebhookConfig { url bearerTokenSet headerValueSet } } } }', { id: w.createChannel.id, i: { webhook: { url: 'https://hooks.example.com/v2', bearerToken: '********' } } }, { cookie: admin });
    expect(kept.updateChannel.config).toEqual({ url: 'https://hooks.example.com/v2', bearerTokenSet: true, headerValueSet: true });
    const cleared = await gqlOk(server.url, 'mutation($id:ID!,$i:ChannelUpdateInput!){ updateChannel(id:$id,input:$i){ config { ... on WebhookConfig { bearerTokenSet headerValueSet } } } }', { id: w.createChannel.id, i: { webhook: { headerValue: '', headerName: null } } }, { cookie: admin });
    expect(cleared.updateChannel.config).toEqual({ bearerTokenSet: true, headerValueSet: false });

    // nothing in any response
    const everything = await gql(server.url, '{ channels { id name config { ... on WebhookConfig { url bearerToken headerValue } ... on SmtpConfig { password username } } } auditLog(first: 200) { edges { node { detail } } } }', {}, { cookie: admin });
    const text = JSON.stringify(everything);
    for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);

    // nothing in the database files
    const stored = TEST_PROVIDER === 'sqlite'
      ? ['vigil.db', 'vigil.db-wal'].map((f) => path.join(server.dataDir, f)).filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f).toString('latin1')).join('')
      : execFileSync('pg_dump', [db.pg!.url], { encoding: 'utf8' });
    expect(stored.length).toBeGreaterThan(1000);
    for (const secret of Object.values(secrets)) expect(stored).not.toContain(secret);
    expect(stored).toContain('ops-webhook');
  });

  it('audits a channel update with the fields that really changed (config fields by name, never a value)', async () => {
    const c = await gqlOk(server.url, CREATE_CHANNEL, { i: { name: 'audited-hook', webhook: { url: 'https://hooks.example.com/a', bearerToken: 'first-token' } } }, { cookie: admin });
    const id = c.createChannel.id;
    const update = (i: Record<string, unknown>) => gqlOk(server.url, 'mutation($id:ID!,$i:ChannelUpdateInput!){ updateChannel(id:$id, input:$i){ id } }', { id, i }, { cookie: admin });
    await update({ name: 'audited-hook-2', enabled: true, webhook: { url: 'https://hooks.example.com/a', bearerToken: '********' } });
    await update({ webhook: { url: 'https://hooks.example.com/a', bearerToken: 'second-token' } });
    const log = await gqlOk(server.url, `{ auditLog(targetId:"${id}", action:"channel.update") { edges { node { detail } } } }`, {}, { cookie: admin });
    expect(log.auditLog.edges.map((e: any) => e.node.detail.changed)).toEqual([['config.bearerToken'], ['name']]);
    expect(JSON.stringify(log)).not.toContain('second-token');
  });

  it('requires the typed name to delete a channel', async () => {
    const c = await gqlOk(server.url, CREATE_CHANNEL, { i: { name: 'to-delete', ntfy: { topic: 'vigil-alerts' } } }, { cookie: admin });
    const wrong = await gql(server.url, 'mutation($id:ID!){ deleteChannel(id:$id, confirmName:"to-delet") }', { id: c.createChannel.id }, { cookie: admin });
    expect(fieldPaths(wrong)).toEqual(['confirmName']);
    const ok = await gqlOk(server.url, 'mutation($id:ID!){ deleteChannel(id:$id, confirmName:"to-delete") }', { id: c.createChannel.id }, { cookie: admin });
    expect(ok.deleteChannel).toBe(true);
  });

  it('refuses form-encoded or text requests without the CSRF header', async () => {
    const form = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: admin }, body: 'query=%7B%20me%20%7B%20username%20%7D%20%7D' });
    expect(form.status).toBe(403);
    const text = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'text/plain', cookie: admin }, body: '{"query":"{ me { username } }"}' });
    expect(text.status).toBe(403);
  });

  it('limits query depth and aliases', async () => {
    const deep = await gql(server.url, '{ alerts { edges { node { host { schedules { host { schedules { host { schedules { host { schedules { host { name } } } } } } } } } } } } }', {}, { cookie: admin });
    expect(deep.errors?.[0]?.message).toMatch(/depth/i);
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: me { username }`).join(' ');
    const many = await gql(server.url, `{ ${aliases} }`, {}, { cookie: admin });
    expect(many.errors?.[0]?.message).toMatch(/alias/i);
  });

  it('serves /healthz and /readyz', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ok: true, database: 'ok' });
  });

  it('serves /metrics whole, or narrowed to the families named', async () => {
    const all = await (await fetch(`${server.url}/metrics`)).text();
    expect(all).toMatch(/^# TYPE vigil_engine_reports_committed_total counter$/m);
    expect(all).toMatch(/^vigil_engine_reports_committed_total(\{[^}]*\})? \d+$/m);
    expect(all).toContain('vigil_process_cpu_seconds_total');
    const some = await (await fetch(`${server.url}/metrics?name[]=vigil_engine_reports_committed_total&name[]=vigil_agents_connected&name[]=no_such_metric`)).text();
    const families = [...some.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
    expect(families).toEqual(['vigil_engine_reports_committed_total', 'vigil_agents_connected']);
    expect(some).not.toContain('vigil_process_cpu_seconds_total');
    expect((await (await fetch(`${server.url}/metrics?name=vigil_agents_connected`)).text()).match(/^# TYPE (\S+)/gm)).toEqual(['# TYPE vigil_agents_connected']);
  });
});
