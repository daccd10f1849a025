import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testDatabase, TEST_PROVIDER, type ServerHandle, type TestDatabase } from '../helpers/server.ts';
import { errorCode, fieldPaths, gql, gqlOk, login, tokenFor } from '../helpers/gql.ts';
import { TestAgent } from '../helpers/agent-client.ts';
import { startSink, type Sink } from '../helpers/sink.ts';
import { startSmtp, type TestSmtp } from '../helpers/smtp.ts';
import { subscribe } from '../helpers/subscribe.ts';
import { waitFor } from '../helpers/wait.ts';

/** Alerts raised by real agent reports, delivered to real receivers. */
const BASE_URL = 'https://vigil.example.com';
let db: TestDatabase;
let server: ServerHandle;
let token: string;
let sink: Sink;
let smtp: TestSmtp;
const agents: TestAgent[] = [];

beforeAll(async () => {
  db = await testDatabase();
  [sink, smtp] = await Promise.all([startSink(), startSmtp()]);
  server = await startServer({
    // only 127.0.0.1 is allowed: ::1, link-local and the like stay refused
    env: { ...db.env, VIGIL_BASE_URL: BASE_URL, VIGIL_ALLOW_PRIVATE_TARGETS: '127.0.0.1', VIGIL_DELIVERY_RETRY_BASE_MS: '50', VIGIL_DELIVERY_TIMEOUT_SECONDS: '2' },
  });
  token = await tokenFor(server.url, 'ADMIN', await login(server.url));
});
afterAll(async () => {
  for (const a of agents) a.terminate();
  await server?.stop();
  await Promise.all([sink?.close(), smtp?.close(), db?.dispose()]);
});

const q = <T = any>(query: string, variables: Record<string, unknown> = {}) => gqlOk<T>(server.url, query, variables, { token });

async function channel(input: Record<string, unknown>): Promise<string> {
  return (await q('mutation($i:ChannelInput!){ createChannel(input:$i){ id } }', { i: input })).createChannel.id;
}
async function disable(id: string) {
  await q('mutation($id:ID!){ updateChannel(id:$id, input:{ enabled:false }){ id } }', { id });
}

/** A host with an agent online, and a way to make its jobs end as we like. */
async function fleetHost(name: string) {
  const d = await q('mutation($n:String!){ enrollHost(input:{ name:$n }){ agentToken host { id } } }', { n: name });
  const agent = await TestAgent.online(server.url, d.enrollHost.agentToken);
  agents.push(agent);
  const hostId: string = d.enrollHost.host.id;
  let runs = 0;
  return {
    hostId,
    agent,
    async schedule(kind = 'BACKUP') {
      return (await q(`mutation($h:ID!){ createSchedule(input:{ hostId:$h, kind:${kind}, cron:"0 2 * * *", paths:["/srv"], retention:{ keepLast: 3 } }){ id } }`, { h: hostId })).createSchedule.id as string;
    },
    /** run a job of `kind` (via runJob) and report it finished with `status` */
    async finish(kind: string, status: 'succeeded' | 'failed' | 'cancelled', scheduleId?: string, error = 'Fatal: unable to open config file: Stat: stat /repo/config: no such file or directory') {
      const job = await q(`mutation($h:ID!,$s:ID){ runJob(hostId:$h, kind:${kind}, scheduleId:$s){ id } }`, { h: hostId, s: scheduleId ?? null });
      runs++;
      await agent.next('command.run', runs);
      agent.send('job.finished', { jobId: job.runJob.id, status, finishedAt: new Date().toISOString(), exitCode: status === 'failed' ? 1 : 0, ...(status === 'failed' ? { error } : {}) });
      await waitFor(async () => (await q(`{ job(id:"${job.runJob.id}"){ status } }`)).job.status !== 'QUEUED');
      return job.runJob.id as string;
    },
  };
}

/** metric reads one series of /metrics (0 when it has not been counted yet) */
async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics?name[]=${name}`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && wanted.every((w) => l.includes(w)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

const alertsOf = (hostId: string) =>
  q(`{ alerts(filter:{ hostId:"${hostId}" }) { edges { node { id kind severity status message dedupKey occurrences createdAt host { name } deliveries { event ok } } } } }`).then((d) => d.alerts.edges.map((e: any) => e.node));

describe(`notifications on ${TEST_PROVIDER}`, () => {
  it('a failed backup reported by an agent POSTs exactly one webhook with the documented envelope; a repeat only touches', async () => {
    sink.requests.length = 0;
    const hook = await channel({ name: 'ops-hook', webhook: { url: `${sink.url}/hook`, bearerToken: 'hook-token', headerName: 'X-Vigil-Team', headerValue: 'backup-ops' } });
    const h = await fleetHost('alfa-01');
    const scheduleId = await h.schedule();
    await h.finish('BACKUP', 'failed', scheduleId);
    await waitFor(() => sink.requests.length === 1);
    const [alert] = await alertsOf(h.hostId);
    const req = sink.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/hook');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBe('Bearer hook-token');
    expect(req.headers['x-vigil-team']).toBe('backup-ops');
    expect(req.json()).toEqual({
      event: 'alert.raised',
      alert_id: alert.id,
      severity: 'warning',
      kind: 'backup_failed',
      host_id: h.hostId,
      host_name: 'alfa-01',
      message: alert.message,
      raised_at: alert.createdAt,
      link: `${BASE_URL}/alerts/${alert.id}`,
    });
    expect(alert).toMatchObject({ kind: 'backup_failed', dedupKey: scheduleId, status: 'OPEN', occurrences: 1 });
    expect(alert.message).toMatch(/unable to open config file/);

    await h.finish('BACKUP', 'failed', scheduleId);
    const [touched] = await alertsOf(h.hostId);
    expect(touched).toMatchObject({ id: alert.id, occurrences: 2 });
    expect(touched.deliveries).toEqual([{ event: 'alert.raised', ok: true }]);
    expect(sink.requests).toHaveLength(1);
    await disable(hook);
  });

  it('resolves on success (notified), then raises a fresh alert; run-now backups use the "manual" key', async () => {
    sink.requests.length = 0;
    const hook = await channel({ name: 'resolve-hook', webhook: { url: `${sink.url}/resolve` } });
    const h = await fleetHost('bravo-02');
    const scheduleId = await h.schedule();
    await h.finish('BACKUP', 'failed', scheduleId);
    await h.finish('BACKUP', 'succeeded', scheduleId);
    await waitFor(() => sink.requests.length === 2);
    expect(sink.requests.map((r) => r.json().event)).toEqual(['alert.raised', 'alert.resolved']);
    const [first] = await alertsOf(h.hostId);
    expect(first).toMatchObject({ status: 'RESOLVED' });
    // seed 002: an auto-resolve says so, with the time it was resolved
    const { resolvedAt } = (await q(`{ alert(id:"${first.id}") { resolvedAt } }`)).alert;
    expect(sink.requests[1]!.json()).toEqual({ ...sink.requests[0]!.json(), event: 'alert.resolved', message: 'Auto-resolved (backup_failed)', raised_at: resolvedAt });
    await h.finish('BACKUP', 'failed', scheduleId);
    const after = await alertsOf(h.hostId);
    expect(after).toHaveLength(2);
    expect(after[0]).toMatchObject({ status: 'OPEN', occurrences: 1 });
    expect(after[0].id).not.toBe(first.id);
    await h.finish('BACKUP', 'failed');
    expect((await alertsOf(h.hostId)).map((a: any) => a.dedupKey)).toContain('manual');
    // by hand: who acknowledged, who resolved, and when
    const manual = (await alertsOf(h.hostId)).find((a: any) => a.dedupKey === 'manual');
    const acked = (await q(`mutation { acknowledgeAlert(id:"${manual.id}") { acknowledgedBy acknowledgedAt } }`)).acknowledgeAlert;
    const resolved = (await q(`mutation { resolveAlert(id:"${manual.id}") { resolvedBy resolvedAt } }`)).resolveAlert;
    await waitFor(() => sink.requests.filter((r) => r.json().alert_id === manual.id).length === 3, { what: 'raised, acknowledged and resolved' });
    expect(sink.requests.filter((r) => r.json().alert_id === manual.id).map((r) => [r.json().event, r.json().message, r.json().raised_at])).toEqual([
      ['alert.raised', manual.message, manual.createdAt],
      ['alert.acknowledged', `Acknowledged by ${acked.acknowledgedBy}`, acked.acknowledgedAt],
      ['alert.resolved', `Resolved by ${resolved.resolvedBy}`, resolved.resolvedAt],
    ]);
    await disable(hook);
  });

  it('maps forget/prune/check failures to their rules (check is critical) and raises nothing for cancelled, unlock or init', async () => {
    const h = await fleetHost('charlie-03');
    const forget = await h.schedule('FORGET');
    await h.finish('FORGET', 'failed', forget);
    await h.finish('PRUNE', 'failed');
    await h.finish('CHECK', 'failed');
    await h.finish('UNLOCK', 'failed');
    await h.finish('INIT', 'failed');
    await h.finish('BACKUP', 'cancelled', await h.schedule());
    const alerts = await alertsOf(h.hostId);
    expect(alerts.map((a: any) => [a.kind, a.severity, a.dedupKey]).sort()).toEqual([
      ['check_failed', 'CRITICAL', ''],
      ['forget_failed', 'WARNING', ''],
      ['prune_failed', 'WARNING', ''],
    ]);
    await h.finish('CHECK', 'succeeded');
    expect((await alertsOf(h.hostId)).find((a: any) => a.kind === 'check_failed').status).toBe('RESOLVED');
  });

  it('retries a 500 until it succeeds (one arrival, four attempts) and never retries a 400', async () => {
    const counted = () =>
      Promise.all([
        metric('vigil_delivery_attempts_total', { target: 'channel', outcome: 'retry' }),
        metric('vigil_delivery_attempts_total', { target: 'channel', outcome: 'dead' }),
        metric('vigil_alert_transitions_total', { event: 'raised', kind: 'check_failed' }),
      ]);
    const [retriesBefore, deadBefore, raisedBefore] = await counted();
    sink.requests.length = 0;
    sink.script.push({ status: 500 }, { status: 503 }, { status: 500 });
    const hook = await channel({ name: 'flaky-hook', webhook: { url: `${sink.url}/flaky` } });
    const h = await fleetHost('delta-04');
    await h.finish('CHECK', 'failed');
    const [alert] = await alertsOf(h.hostId);
    const attempts = await waitFor(async () => {
      const d = (await q(`{ deliveries(alertId:"${alert.id}") { edges { node { ok statusCode attempt error } } } }`)).deliveries.edges.map((e: any) => e.node);
      return d.length === 4 ? d : null;
    });
    expect(attempts.map((d: any) => [d.attempt, d.ok, d.statusCode]).sort()).toEqual([[1, false, 500], [2, false, 503], [3, false, 500], [4, true, 200]]);
    expect(sink.requests).toHaveLength(4);
    const healthy = (await q(`{ channel(id:"${hook}") { lastFiredAt failureCount lastError } }`)).channel;
    expect(healthy).toMatchObject({ failureCount: 0, lastError: null, lastFiredAt: expect.any(String) });
    const since = async () => (await counted()).map((n, i) => n - [retriesBefore, deadBefore, raisedBefore][i]!).join(' ');
    // counted once the attempt's transaction committed (a reader on another connection may see the rows a moment before)
    await waitFor(async () => (await since()) === '3 0 1', { what: 'three retries and one raise counted' });

    sink.requests.length = 0;
    sink.script.push({ status: 400 });
    await h.finish('PRUNE', 'failed');
    const prune = (await alertsOf(h.hostId)).find((a: any) => a.kind === 'prune_failed');
    const d = await waitFor(async () => (await q(`{ deliveries(alertId:"${prune.id}") { edges { node { ok statusCode error } } } }`)).deliveries.edges[0]?.node);
    expect(d).toMatchObject({ ok: false, statusCode: 400, error: 'HTTP 400' });
    // the attempt and the channel's state are written together: one failure since the last success
    expect((await q(`{ channel(id:"${hook}") { lastFiredAt failureCount lastError } }`)).channel).toEqual({ lastFiredAt: healthy.lastFiredAt, failureCount: 1, lastError: 'HTTP 400' });
    // an operator sees it given up: counted, and in the log with the receiver's answer
    await waitFor(async () => (await since()) === '3 1 1', { what: 'the 400 counted as given up' });
    expect(server.logs.some((l) => l.includes('notifications given up') && l.includes('HTTP 400'))).toBe(true);
    await waitFor(async () => (await metric('vigil_outbox_dead', {})) >= 1, { what: 'the given-up row in vigil_outbox_dead' });
    // the next notification goes out (so the 400 one had its chance to be retried, and was not)
    await h.finish('PRUNE', 'succeeded');
    await waitFor(() => sink.requests.some((r) => r.json().event === 'alert.resolved'));
    expect(sink.requests.filter((r) => r.json().event === 'alert.raised')).toHaveLength(1);
    // the success is recorded once the attempt settles (just after the receiver answered)
    await waitFor(async () => (await q(`{ channel(id:"${hook}") { failureCount } }`)).channel.failureCount === 0, { what: 'the channel healthy again' });
    expect((await q(`{ channel(id:"${hook}") { lastError } }`)).channel).toEqual({ lastError: null });
    await disable(hook);
  });

  it('honours Retry-After on a 429', async () => {
    sink.requests.length = 0;
    sink.script.push({ status: 429, headers: { 'retry-after': '1' } });
    const hook = await channel({ name: 'busy-hook', webhook: { url: `${sink.url}/busy` } });
    const h = await fleetHost('hotel-08');
    await h.finish('CHECK', 'failed');
    const [alert] = await alertsOf(h.hostId);
    const d = await waitFor(async () => {
      const rows = (await q(`{ deliveries(alertId:"${alert.id}") { edges { node { statusCode attempt firedAt } } } }`)).deliveries.edges.map((e: any) => e.node);
      return rows.length === 2 ? rows.sort((a: any, b: any) => a.attempt - b.attempt) : null;
    });
    expect(d.map((x: any) => x.statusCode)).toEqual([429, 200]);
    expect(Date.parse(d[1].firedAt) - Date.parse(d[0].firedAt)).toBeGreaterThanOrEqual(1000);
    await disable(hook);
  });

  it('times out a hanging receiver and retries it later, while another channel delivers at once', async () => {
    sink.requests.length = 0;
    const hanging = await startSink();
    hanging.block();
    const stuck = await channel({ name: 'hanging-hook', webhook: { url: `${hanging.url}/hang` } });
    const fast = await channel({ name: 'fast-hook', webhook: { url: `${sink.url}/fast` } });
    const h = await fleetHost('india-09');
    await h.finish('CHECK', 'failed');
    const [alert] = await alertsOf(h.hostId);
    await waitFor(() => sink.requests.length === 1);
    // the fast channel got its notification while the other one is still hanging (no attempt recorded yet)
    expect((await q(`{ deliveries(channelId:"${stuck}") { totalCount } }`)).deliveries.totalCount).toBe(0);
    await waitFor(() => hanging.requests.length === 1);
    const timedOut = await waitFor(async () => (await q(`{ deliveries(channelId:"${stuck}") { edges { node { ok error attempt } } } }`)).deliveries.edges[0]?.node, { timeoutMs: 10_000 });
    expect(timedOut).toMatchObject({ ok: false, attempt: 1, error: 'timed out after 2000 ms' });
    hanging.unblock();
    await waitFor(async () => (await q(`{ deliveries(channelId:"${stuck}") { edges { node { ok } } } }`)).deliveries.edges.some((e: any) => e.node.ok), { timeoutMs: 10_000 });
    expect(new Set(hanging.requests.map((r) => r.json().alert_id))).toEqual(new Set([alert.id]));
    await Promise.all([disable(stuck), disable(fast)]);
    await hanging.close();
  });

  it('mails through a real SMTP server (STARTTLS, AUTH PLAIN) with the exact subject and Message-ID', async () => {
    const mail = await channel({ name: 'ops-mail', smtp: { host: '127.0.0.1', port: smtp.port, encryption: 'STARTTLS', username: 'vigil', password: 'smtp-pass', from: 'Vigil <vigil@example.com>', to: 'ops@example.com' } });
    const h = await fleetHost('echo-05');
    await h.finish('CHECK', 'failed');
    const [alert] = await alertsOf(h.hostId);
    const m = await waitFor(() => smtp.mails.find((x) => x.header('Message-ID') === `<${alert.id}@vigil.example.com>`));
    expect(m.secure).toBe(true);
    expect(m.auth?.username).toBe('vigil');
    expect(m.from).toBe('vigil@example.com');
    expect(m.to).toEqual(['ops@example.com']);
    expect(m.header('Subject')).toBe('[vigil] [critical] echo-05: check_failed');
    expect(m.body()).toContain(alert.message);
    expect(m.body()).toContain(`${BASE_URL}/alerts/${alert.id}`);
    // the message as written, on one line, in the raw DATA (it is longer than a quoted-printable line)
    expect(alert.message.length).toBeGreaterThan(76);
    expect(m.raw).toContain(`\r\n\r\n${alert.message}\r\n`);
    await disable(mail);
  });

  it('posts to ntfy with Title, Tags, Click, Priority and the bearer token', async () => {
    sink.requests.length = 0;
    const ntfy = await channel({ name: 'ops-ntfy', ntfy: { serverUrl: sink.url, topic: 'vigil-ops', accessToken: 'tk_ntfy', defaultPriority: 'HIGH' } });
    const h = await fleetHost('foxtrot-06');
    await h.finish('CHECK', 'failed');
    await h.finish('PRUNE', 'failed');
    await waitFor(() => sink.requests.length === 2);
    const [check, prune] = sink.requests;
    const alerts = await alertsOf(h.hostId);
    const checkAlert = alerts.find((a: any) => a.kind === 'check_failed');
    expect(check!.path).toBe('/vigil-ops');
    expect(check!.headers).toMatchObject({ title: '[critical] foxtrot-06 check_failed', tags: 'critical,check_failed', priority: '5', click: `${BASE_URL}/alerts/${checkAlert.id}`, authorization: 'Bearer tk_ntfy' });
    expect(check!.body).toBe(checkAlert.message);
    expect(prune!.headers).toMatchObject({ title: '[warning] foxtrot-06 prune_failed', priority: 'high' });
    await disable(ntfy);
  });

  it('delivers to ntfy for a host named büro-☃: non-ASCII header values go as RFC 2047 encoded-words', async () => {
    sink.requests.length = 0;
    const ntfy = await channel({ name: 'intl-ntfy', ntfy: { serverUrl: sink.url, topic: 'vigil-intl' } });
    const h = await fleetHost('büro-☃');
    await h.finish('CHECK', 'failed');
    await waitFor(() => sink.requests.length === 1);
    const { headers } = sink.requests[0]!;
    // what ntfy (Go's mime.WordDecoder) does with the header
    const decode = (v: string) => v.replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=/gi, (_, b64: string) => Buffer.from(b64, 'base64').toString('utf8'));
    expect(headers.title).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
    expect(decode(headers.title as string)).toBe('[critical] büro-☃ check_failed');
    // ASCII values stay as they were
    expect(headers.tags).toBe('critical,check_failed');
    const [alert] = await alertsOf(h.hostId);
    expect(headers.click).toBe(`${BASE_URL}/alerts/${alert.id}`);
    await waitFor(async () => (await alertsOf(h.hostId))[0].deliveries.some((d: any) => d.ok));
    await disable(ntfy);
  });

  it('testChannel sends alert.test through the channel and returns its Delivery', async () => {
    sink.requests.length = 0;
    sink.script.push({ status: 202 });
    const hook = await channel({ name: 'test-hook', webhook: { url: `${sink.url}/test` } });
    const d = await q(`mutation { testChannel(id:"${hook}") { ok statusCode latencyMs event attempt error channel { name lastFiredAt } } }`);
    expect(d.testChannel).toMatchObject({ ok: true, statusCode: 202, event: 'alert.test', attempt: 1, error: null, channel: { name: 'test-hook' } });
    expect(d.testChannel.channel.lastFiredAt).not.toBeNull();
    expect(sink.requests).toHaveLength(1);
    expect(sink.requests[0]!.json()).toMatchObject({ event: 'alert.test', severity: 'info' });
    sink.script.push({ status: 500 });
    const failed = await q(`mutation { testChannel(id:"${hook}") { ok statusCode error } }`);
    expect(failed.testChannel).toEqual({ ok: false, statusCode: 500, error: 'HTTP 500' });
    expect(sink.requests).toHaveLength(2); // a test send is not retried
    await disable(hook);
  });

  it('keeps the delivery log of a deleted channel (the rows lose the link to it)', async () => {
    sink.script.push({ status: 204 });
    const hook = await channel({ name: 'short-lived', webhook: { url: `${sink.url}/short` } });
    const sent = (await q(`mutation { testChannel(id:"${hook}") { id ok } }`)).testChannel;
    expect(sent.ok).toBe(true);
    expect(await q(`mutation { deleteChannel(id:"${hook}", confirmName:"short-lived") }`)).toEqual({ deleteChannel: true });
    const log = await q('{ deliveries(first: 500) { edges { node { id ok event channel { id } } } } }');
    expect(log.deliveries.edges.map((e: any) => e.node).find((d: any) => d.id === sent.id)).toEqual({ id: sent.id, ok: true, event: 'alert.test', channel: null });
  });

  it('records a notification whose host was deleted while it was in flight, once, without the link (it is not sent again and again)', async () => {
    const slow = await startSink();
    try {
      slow.block();
      const hook = await channel({ name: 'in-flight', webhook: { url: `${slow.url}/held` } });
      const h = await fleetHost('deleted-mid-flight');
      await h.finish('CHECK', 'failed');
      await waitFor(() => slow.requests.length === 1, { what: 'the notification held open at the receiver' });
      await q('mutation($id:ID!){ deleteHost(id:$id) }', { id: h.hostId });
      slow.unblock();
      const logged = () => q('query($c:ID!){ deliveries(channelId:$c, first: 50) { edges { node { ok event alert { id } } } } }', { c: hook }).then((d) => d.deliveries.edges.map((e: any) => e.node));
      // the raise held at the receiver, and the resolve the delete sent (receivers close their incident)
      await waitFor(async () => (await logged()).length === 2, { what: 'both attempts recorded' });
      // the Delivery and the settled outbox row are one transaction: recorded means not owed any more
      expect((await logged()).map((d: any) => d.event).sort()).toEqual(['alert.raised', 'alert.resolved']);
      expect(await logged()).toEqual([expect.objectContaining({ ok: true, alert: null }), expect.objectContaining({ ok: true, alert: null })]);
      expect(slow.requests).toHaveLength(2);
      expect(slow.requests.map((r) => r.json())).toEqual([
        expect.objectContaining({ event: 'alert.raised', kind: 'check_failed', host_name: 'deleted-mid-flight' }),
        expect.objectContaining({ event: 'alert.resolved', kind: 'check_failed', host_name: 'deleted-mid-flight', message: expect.stringMatching(/^Resolved by .+ \(host deleted\)$/) }),
      ]);
      expect((await q(`{ channel(id:"${hook}") { lastFiredAt failing } }`)).channel).toMatchObject({ lastFiredAt: expect.any(String), failing: false });
      await disable(hook);
    } finally {
      await slow.close();
    }
  });

  it('refuses SSRF targets on save, and a redirect to loopback in the Delivery row', async () => {
    // ::127.0.0.1 and ::7f00:1 are the deprecated IPv4-compatible form of 127.0.0.1 (allow-listed here as IPv4 only)
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[::1]:8080/', 'http://10.0.0.5/hook', 'http://[::ffff:127.0.0.1]/', 'http://[::127.0.0.1]:9/', 'http://[::7f00:1]:9/x', 'http://[::a00:5]/hook']) {
      const r = await gql(server.url, 'mutation($i:ChannelInput!){ createChannel(input:$i){ id } }', { i: { name: `ssrf-${url}`, webhook: { url } } }, { token });
      expect(errorCode(r), url).toBe('BAD_USER_INPUT');
      expect(fieldPaths(r), url).toEqual(['webhook.url']);
      expect(r.errors![0]!.message).toMatch(/must be public/);
    }
    sink.script.push({ status: 302, headers: { location: 'http://[::1]:9/internal' } });
    const hook = await channel({ name: 'redirecting-hook', webhook: { url: `${sink.url}/redirect` } });
    const d = await q(`mutation { testChannel(id:"${hook}") { ok statusCode error } }`);
    expect(d.testChannel).toMatchObject({ ok: false, statusCode: 302 });
    expect(d.testChannel.error).toMatch(/redirects are not followed.*\[::1\]/);
    await disable(hook);
  });

  it('tells alertChanged subscribers RAISED, TOUCHED, ACKNOWLEDGED, RESOLVED in order', async () => {
    const h = await fleetHost('golf-07');
    const sub = await subscribe(server.url, token, 'subscription($f:AlertFilter){ alertChanged(filter:$f){ type alert { kind status occurrences acknowledgedBy } } }', { f: { hostId: h.hostId } });
    // the search matches the host's name too, as in the alerts query (the message does not name the host)
    const byName = await subscribe(server.url, token, 'subscription($f:AlertFilter){ alertChanged(filter:$f){ type } }', { f: { search: 'GOLF-07' } });
    const scheduleId = await h.schedule();
    await h.finish('BACKUP', 'failed', scheduleId);
    await h.finish('BACKUP', 'failed', scheduleId);
    const [alert] = await alertsOf(h.hostId);
    const operator = await tokenFor(server.url, 'OPERATOR', await login(server.url));
    await gqlOk(server.url, `mutation { acknowledgeAlert(id:"${alert.id}") { status } }`, {}, { token: operator });
    await gqlOk(server.url, `mutation { resolveAlert(id:"${alert.id}") { status } }`, {}, { token: operator });
    await sub.next(4);
    expect(sub.events.map((e: any) => [e.alertChanged.type, e.alertChanged.alert.status, e.alertChanged.alert.occurrences])).toEqual([
      ['RAISED', 'OPEN', 1],
      ['TOUCHED', 'OPEN', 2],
      ['ACKNOWLEDGED', 'ACKNOWLEDGED', 2],
      ['RESOLVED', 'RESOLVED', 2],
    ]);
    await byName.next(4);
    expect(byName.events.map((e: any) => e.alertChanged.type)).toEqual(['RAISED', 'TOUCHED', 'ACKNOWLEDGED', 'RESOLVED']);
    await byName.dispose();
    const audit = await q(`{ auditLog(targetId:"${alert.id}") { edges { node { action actor } } } }`);
    expect(audit.auditLog.edges.map((e: any) => e.node.action).sort()).toEqual(['alert.acknowledge', 'alert.raise', 'alert.resolve']);
    await sub.dispose();
  });
});
