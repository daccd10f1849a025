import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ServerHandle } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { FakeAgent } from './support/agent.ts';
import { launch, screenshot, WIDTHS, type Session } from './support/browser.ts';
import { Fleet } from './support/fleet.ts';
import { signIn, subscribed } from './support/ui.ts';
import { guardEachTest, startVigil, stopVigil } from './support/vigil.ts';

/** The dashboard over a small real fleet: every status, tags, alerts. */
describe('dashboard', () => {
  let server: ServerHandle;
  let browser: Session;
  let fleet: Fleet;
  const agents: FakeAgent[] = [];
  let web02: FakeAgent;

  const names = (page: Page) => page.getByTestId('host-table').locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-host')));
  const status = async (id: string) => (await fleet.gql('query($id: ID!){ host(id: $id){ status } }', { id })).host.status as string;

  beforeAll(async () => {
    server = await startVigil();
    fleet = await Fleet.admin(server.url);
    const db = await fleet.enroll('db-01', { tags: ['prod', 'postgres'] });
    const web1 = await fleet.enroll('web-01', { tags: ['prod', 'nginx'] });
    const web2 = await fleet.enroll('web-02', { tags: ['prod', 'nginx'] });
    const runner = await fleet.enroll('build-runner', { tags: ['ci'] });
    const laptop = await fleet.enroll('laptop-ana', { alwaysOn: false, tags: ['laptop'] });
    await fleet.enroll('laptop-ben', { alwaysOn: false, tags: ['laptop'] });
    for (const h of [db, web1, runner]) agents.push(await FakeAgent.connect(server.url, h.token, `${h.name}.internal`));
    web02 = await FakeAgent.connect(server.url, web2.token, 'web-02.internal');
    const sleeper = await FakeAgent.connect(server.url, laptop.token, 'ana-thinkpad');
    await sleeper.close();
    await waitFor(async () => (await status(laptop.id)) === 'ASLEEP', { what: 'laptop-ana asleep' });
    await fleet.failJob(agents[0]!, db.id, { error: 'unable to open repository at s3:backups/db-01: Access Denied' });
    await fleet.failJob(agents[1]!, web1.id, { kind: 'CHECK', error: 'Fatal: repository contains errors' });
    await waitFor(async () => (await fleet.openAlertCount()) === 2, { what: 'two open alerts' });
    browser = await launch();
  });
  afterAll(async () => {
    for (const a of agents) await a.close();
    await web02?.close();
    await browser?.close();
    await stopVigil(server);
  });
  guardEachTest(() => ({ server, browser }));

  it('keeps filters and sort in the URL, so they survive a reload', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url);
    await expect.poll(() => names(page)).toHaveLength(6);

    await page.getByLabel('Search hosts by name').fill('web');
    await page.waitForURL(/[?&]q=web/);
    await page.getByRole('group', { name: 'Tags' }).getByRole('button', { name: '#prod' }).click();
    await page.waitForURL(/tag=prod/);
    await page.getByRole('button', { name: /^Host/ }).click();
    await page.waitForURL(/dir=desc/);
    await expect.poll(() => names(page)).toEqual(['web-02', 'web-01']);

    await page.reload();
    await expect.poll(() => names(page)).toEqual(['web-02', 'web-01']);
    expect(await page.getByLabel('Search hosts by name').inputValue()).toBe('web');
    expect(await page.getByRole('button', { name: '#prod' }).getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('th[aria-sort="descending"]').textContent()).toContain('Host');

    await page.getByRole('group', { name: 'Status' }).getByRole('button', { name: 'online' }).click();
    await page.waitForURL(/status=online/);
    await page.getByRole('button', { name: /^Last backup/ }).click();
    await page.waitForURL(/sort=backup/);
    await page.reload();
    expect(await page.getByRole('group', { name: 'Status' }).getByRole('button', { name: 'online' }).getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('th[aria-sort="ascending"]').textContent()).toContain('Last backup');
  });

  it('links the critical banner to the critical alerts', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url);
    const banner = page.getByTestId('critical-banner');
    await expect.poll(() => banner.textContent()).toContain('1 critical alert open');
    await banner.getByRole('link').click();
    await page.waitForURL(/\/alerts\?severity=critical/);
    await expect.poll(() => page.getByTestId('alert-list').locator('li').count()).toBe(1);
    expect(await page.getByTestId('alert-list').textContent()).toContain('check failed');
  });

  it('turns a host red live when its always-on agent drops', async () => {
    const page = await browser.newPage();
    const live = subscribed(page, 'hostChanged');
    await signIn(page, server.url);
    await live;
    const row = page.locator('tr[data-host="web-02"]');
    await expect.poll(() => row.getAttribute('data-status')).toBe('online');
    await web02.close();
    await expect.poll(() => row.getAttribute('data-status')).toBe('offline');
    expect(await row.locator('.dot.offline').count()).toBeGreaterThan(0);
  });

  it('drops a host deleted in another session, live, and counts one host fewer', async () => {
    const doomed = await fleet.enroll('tmp-01', { tags: ['scratch'] });
    const page = await browser.newPage();
    const removedLive = subscribed(page, 'hostRemoved');
    await signIn(page, server.url);
    await removedLive;
    const row = page.locator('tr[data-host="tmp-01"]');
    await row.waitFor();
    const fleetCount = page.getByTestId('counts-strip').locator('li').first().locator('.value');
    await expect.poll(() => fleetCount.textContent()).toBe('7');
    const neverSeen = page.getByTestId('counts-strip').getByRole('link', { name: /never seen/ }).locator('.value');
    expect(await neverSeen.textContent()).toBe('2');

    await fleet.gql('mutation($id: ID!){ deleteHost(id: $id) }', { id: doomed.id });
    await row.waitFor({ state: 'detached' });
    await expect.poll(() => fleetCount.textContent()).toBe('6');
    await expect.poll(() => neverSeen.textContent()).toBe('1');
    expect(await page.locator('.foot').textContent()).toContain('6 of 6 hosts');
  });

  it('enrolls a host and shows its token once, with the command to start the agent', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url);
    await page.getByRole('button', { name: 'Enroll host' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('nas-01');
    await dialog.getByLabel('Tags').fill('storage, home');
    await dialog.getByRole('button', { name: 'Enroll host' }).click();
    const token = await dialog.getByLabel('Agent token for nas-01', { exact: true }).inputValue();
    expect(token).toMatch(/^\S{20,}$/);
    expect(await dialog.getByLabel('Run on the host', { exact: true }).inputValue()).toBe(`VIGIL_SERVER=${server.url} VIGIL_AGENT_TOKEN=${token} npm run agent`);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.locator('tr[data-host="nas-01"][data-status="never_seen"]').waitFor();
    // The token works for the agent endpoint.
    const agent = await FakeAgent.connect(server.url, token, 'nas-01.home');
    await expect.poll(() => page.locator('tr[data-host="nas-01"]').getAttribute('data-status')).toBe('online');
    await agent.close();
  });

  it('shows an error on any tag of an enrolment, not only on the first', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url);
    await page.getByRole('button', { name: 'Enroll host' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('nas-02');
    // The second tag is the bad one: the server names it tags.1.
    await dialog.getByLabel('Tags').fill('storage, -home');
    await dialog.getByRole('button', { name: 'Enroll host' }).click();
    await expect.poll(() => dialog.locator('#enroll-tags-error').count()).toBe(1);
    expect(await dialog.locator('#enroll-tags-error').textContent()).toMatch(/letters, digits/);
    expect(await dialog.getByLabel('Tags').getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.getByLabel('Tags').inputValue()).toBe('storage, -home');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('fits the header on a 390 px screen: the alert badge and the live indicator do not run into Settings', async () => {
    const page = await browser.newPage({ width: WIDTHS.mobile });
    await signIn(page, server.url);
    await page.getByTestId('nav-alert-badge').waitFor();
    await page.locator('[data-testid="live-indicator"].on').waitFor();
    const box = async (selector: string) => (await page.locator(selector).first().boundingBox())!;
    const settings = await box('nav[aria-label="Main"] a[href="/settings/notifications"]');
    const live = await box('[data-testid="live-indicator"]');
    const user = await box('.user-trigger');
    const nav = await box('nav[aria-label="Main"]');
    // Settings is whole and visible, left of the indicator, which sits left of the user menu, all on screen.
    expect(settings.x + settings.width).toBeLessThanOrEqual(nav.x + nav.width + 0.5);
    expect(nav.x + nav.width).toBeLessThanOrEqual(live.x);
    expect(live.x + live.width).toBeLessThanOrEqual(user.x);
    expect(user.x + user.width).toBeLessThanOrEqual(WIDTHS.mobile);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(WIDTHS.mobile);
  });

  it('shows "behind" for a host whose agent has not applied its schedules, not for one never seen', async () => {
    const ids = Object.fromEntries(
      (await fleet.gql('{ hosts(first: 50){ edges { node { id name } } } }')).hosts.edges.map((e: { node: { id: string; name: string } }) => [e.node.name, e.node.id]),
    );
    for (const name of ['laptop-ana', 'laptop-ben']) {
      await fleet.gql('mutation($i: CreateScheduleInput!){ createSchedule(input: $i){ id } }', { i: { hostId: ids[name], kind: 'BACKUP', cron: '0 3 * * *', paths: ['/home'] } });
    }
    const page = await browser.newPage();
    await signIn(page, server.url);
    const schedule = (name: string) => page.locator(`tr[data-host="${name}"] td`).nth(6);
    // laptop-ana was seen, is asleep and has not applied v1; laptop-ben never connected.
    await expect.poll(() => schedule('laptop-ana').textContent()).toMatch(/v1\s*behind/);
    await expect.poll(() => schedule('laptop-ben').textContent()).toMatch(/v1/);
    expect(await schedule('laptop-ben').textContent()).not.toContain('behind');

    await page.locator('tr[data-host="laptop-ben"]').getByRole('link', { name: 'laptop-ben' }).click();
    await page.getByTestId('schedule-pending').waitFor();
    expect(await page.getByTestId('schedule-behind').count()).toBe(0);
  });

  const hostIds = async () =>
    Object.fromEntries((await fleet.gql('{ hosts(first: 50){ edges { node { id name } } } }')).hosts.edges.map((e: { node: { id: string; name: string } }) => [e.node.name, e.node.id])) as Record<string, string>;
  /** backUp: the agent runs a backup to success now (lastBackupAt moves to now). */
  const backUp = async (agent: FakeAgent, hostId: string) => {
    await fleet.gql('mutation($h: ID!){ runJob(hostId: $h, kind: BACKUP, paths: ["/srv"]){ id } }', { h: hostId });
    const jobId = (await agent.next('command.run')).payload.jobId as string;
    agent.send('job.started', { jobId, startedAt: new Date().toISOString() });
    agent.send('job.finished', { jobId, status: 'succeeded', finishedAt: new Date().toISOString(), exitCode: 0, summary: { bytesAdded: 1024, filesNew: 1, filesChanged: 0 } });
    await waitFor(async () => (await fleet.gql('query($id: ID!){ job(id: $id){ status } }', { id: jobId })).job.status === 'SUCCEEDED', { what: 'the backup succeeded' });
  };
  const text = async (loc: ReturnType<Page['locator']>) => ((await loc.textContent()) ?? '').replace(/\s+/g, ' ').trim();

  it('names both facts in "Last backup": when one last succeeded, and how the latest one ended', async () => {
    const ids = await hostIds();
    // build-runner: a backup succeeds, the next one fails.
    await backUp(agents[2]!, ids['build-runner']!);
    await fleet.failJob(agents[2]!, ids['build-runner']!, { error: 'Fatal: unable to save snapshot: disk full' });
    await waitFor(async () => (await fleet.gql('query($id: ID!){ host(id: $id){ lastBackupStatus } }', { id: ids['build-runner'] })).host.lastBackupStatus === 'FAILED', { what: 'build-runner\'s latest backup failed' });

    const page = await browser.newPage();
    await signIn(page, server.url);
    const cell = (name: string) => page.locator(`tr[data-host="${name}"]`).getByTestId('last-backup');
    await expect.poll(() => text(cell('build-runner'))).toMatch(/^last ok (just now|\d+s ago|1m ago) latest: failed$/);
    expect(await cell('build-runner').locator('time').getAttribute('datetime')).toBe(
      (await fleet.gql('query($id: ID!){ host(id: $id){ lastBackupAt } }', { id: ids['build-runner'] })).host.lastBackupAt,
    );
    // db-01's only backup failed: no time stands for a success that never was.
    expect(await text(cell('db-01'))).toBe('never succeeded latest: failed');
    expect(await cell('db-01').locator('time').count()).toBe(0);
    expect(await text(cell('laptop-ben'))).toBe('no backup yet');
  });

  it('counts a fresh time up second by second, then by the minute', async () => {
    const ids = await hostIds();
    await backUp(agents[1]!, ids['web-01']!);
    const page = await browser.newPage();
    await page.clock.install();
    await signIn(page, server.url);
    const time = page.locator('tr[data-host="web-01"]').getByTestId('last-backup').locator('time');
    const seconds = async () => Number((await time.textContent())?.match(/^last ok (\d+)s ago$/)?.[1] ?? NaN);
    await page.clock.runFor(5_000);
    await expect.poll(seconds).toBeGreaterThanOrEqual(5);
    // Each second shows: no shared 30 s tick in between.
    for (let i = 0; i < 3; i++) {
      const before = await seconds();
      await page.clock.runFor(1_000);
      await expect.poll(seconds).toBeGreaterThanOrEqual(before + 1);
    }
    await page.clock.runFor(60_000);
    await expect.poll(() => time.textContent()).toMatch(/^last ok 1m ago$/);
  });

  it('cuts a long host name short, with the whole name on hover, so Alerts, Schedule and Tags stay in view at 1400 px', async () => {
    // 100 characters, the longest name allowed, and no hyphen to break at.
    const longName = 'backup01.coldstorage.euwest3a.'.repeat(4).slice(0, 100);
    expect(longName).toHaveLength(100);
    await fleet.enroll(longName, { tags: ['archive'] });
    const page = await browser.newPage({ width: 1400 });
    await signIn(page, server.url);
    const row = page.locator(`tr[data-host="${longName}"]`);
    const link = row.getByRole('link', { name: longName });
    await link.waitFor();
    expect(await link.getAttribute('title')).toBe(longName);
    expect(await link.evaluate((a) => getComputedStyle(a).textOverflow)).toBe('ellipsis');
    expect(await link.evaluate((a) => a.scrollWidth > a.clientWidth)).toBe(true);
    const wrap = page.getByTestId('host-table').locator('xpath=..');
    expect(await wrap.evaluate((w) => w.scrollWidth <= w.clientWidth)).toBe(true);
    for (const cell of [page.locator('th', { hasText: 'Alerts' }), page.locator('th', { hasText: 'Tags' }), row.locator('.chip', { hasText: '#archive' })]) {
      const box = (await cell.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(1400);
    }
  });

  it('writes screenshots of the dashboard at both widths', async () => {
    for (const width of Object.values(WIDTHS)) {
      const page = await browser.newPage({ width });
      await signIn(page, server.url);
      await expect.poll(() => names(page)).toHaveLength(8);
      await screenshot(page, 'dashboard');
    }
  });
});
