import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ServerHandle } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { FakeAgent } from './support/agent.ts';
import { launch, screenshot, WIDTHS, type Session } from './support/browser.ts';
import { Fleet, type EnrolledHost } from './support/fleet.ts';
import { signIn, subscribed } from './support/ui.ts';
import { guardEachTest, startVigil, stopVigil } from './support/vigil.ts';

/** The host page: asleep vs offline, the always-on switch, schedules with their cron check. */
describe('host page', () => {
  let server: ServerHandle;
  let browser: Session;
  let fleet: Fleet;
  let laptop: EnrolledHost;
  let db: EnrolledHost;
  let dbAgent: FakeAgent;

  const hostStatus = async (id: string) => (await fleet.gql('query($id: ID!){ host(id: $id){ status } }', { id })).host.status as string;
  const chip = (page: Page) => page.getByTestId('always-on-chip');

  beforeAll(async () => {
    server = await startVigil();
    fleet = await Fleet.admin(server.url);
    laptop = await fleet.enroll('laptop-ana', { alwaysOn: false, tags: ['laptop'] });
    db = await fleet.enroll('db-01', { tags: ['prod'] });
    // The laptop came online once, then went to sleep (its socket closed).
    const laptopAgent = await FakeAgent.connect(server.url, laptop.token, 'ana-thinkpad');
    await laptopAgent.close();
    await waitFor(async () => (await hostStatus(laptop.id)) === 'ASLEEP', { what: 'the laptop to be asleep' });
    dbAgent = await FakeAgent.connect(server.url, db.token, 'db-01.internal');
    browser = await launch();
  });
  afterAll(async () => {
    await dbAgent?.close();
    await browser?.close();
    await stopVigil(server);
  });
  guardEachTest(() => ({ server, browser }));

  it('shows an intermittent offline host as asleep (grey), on the dashboard and its page', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url);
    const row = page.locator('tr[data-host="laptop-ana"]');
    await expect.poll(() => row.getAttribute('data-status')).toBe('asleep');
    expect(await row.locator('.dot.asleep').count()).toBeGreaterThan(0);
    await row.getByRole('link', { name: 'laptop-ana' }).click();
    const line = page.getByTestId('host-status-line');
    await expect.poll(() => line.textContent()).toMatch(/asleep\s*·\s*last seen (just now|.+ ago)\s*·\s*will catch up on return/);
    expect(await chip(page).count()).toBe(0);
  });

  it('changes the 24x7 chip live when always-on is toggled from the host page', async () => {
    const editor = await browser.newPage();
    const watcher = await browser.newPage();
    const watching = subscribed(watcher, 'hostChanged');
    await signIn(editor, server.url, undefined, undefined, `/hosts/${laptop.id}`);
    await signIn(watcher, server.url, undefined, undefined, `/hosts/${laptop.id}`);
    await watching;

    await editor.getByRole('switch', { name: 'Always on (24x7)' }).click();
    await chip(editor).waitFor();
    await chip(watcher).waitFor();
    // An always-on host that is away is offline, not asleep.
    await expect.poll(() => watcher.getByTestId('host-status-line').textContent()).toContain('offline');

    await editor.getByRole('switch', { name: 'Always on (24x7)' }).click();
    await chip(watcher).waitFor({ state: 'detached' });
    await expect.poll(() => watcher.getByTestId('host-status-line').textContent()).toContain('asleep');
  });

  it('validates the cron inline with the next 3 runs, rejects 61 * * * *, and creates the schedule', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, `/hosts/${db.id}`);
    await page.getByRole('button', { name: 'New schedule' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Timezone').fill('Europe/Paris');
    await dialog.getByLabel(/^Cron/).fill('30 2 * * *');
    const runs = dialog.getByTestId('cron-next-runs').locator('time');
    await expect.poll(() => runs.count()).toBe(3);
    expect(await runs.first().textContent()).toContain('02:30');

    await dialog.getByLabel(/^Cron/).fill('61 * * * *');
    await expect.poll(() => dialog.getByLabel(/^Cron/).getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.getByRole('alert').textContent()).toMatch(/61/);
    expect(await runs.count()).toBe(0);
    expect(await dialog.getByRole('button', { name: 'Create schedule' }).isDisabled()).toBe(true);

    await dialog.getByLabel(/^Cron/).fill('30 2 * * *');
    await dialog.getByLabel(/^Paths/).fill('/var/lib/postgresql\n/etc');
    await expect.poll(() => runs.count()).toBe(3);
    await dialog.getByRole('button', { name: 'Create schedule' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('table', { hasText: '30 2 * * *' }).waitFor();
    await expect.poll(() => page.getByTestId('schedule-version').textContent()).toBe('v1');
  });

  it('shows a running job and its progress live, from run now to the agent\'s reports', async () => {
    const page = await browser.newPage();
    const progressLive = subscribed(page, 'jobProgress');
    await signIn(page, server.url, undefined, undefined, `/hosts/${db.id}`);
    await progressLive;
    await page.getByRole('button', { name: 'Run backup now' }).click();
    const command = await dbAgent.next('command.run');
    const jobId = command.payload.jobId as string;
    const row = page.locator(`tr[data-job-id="${jobId}"]`);
    await row.waitFor();
    dbAgent.send('job.started', { jobId, startedAt: new Date().toISOString() });
    await expect.poll(() => row.getAttribute('data-status')).toBe('running');
    dbAgent.send('job.progress', { jobId, percent: 42, bytesDone: 3_221_225_472, filesDone: 18_230, message: 'processed 18230 files, 3.0 GiB in 0:41' });
    await expect.poll(() => row.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('42');
    expect(await row.textContent()).toContain('processed 18230 files');
  });

  it('shows what a finished backup added, live', async () => {
    const page = await browser.newPage();
    const jobsLive = subscribed(page, 'jobChanged');
    await signIn(page, server.url, undefined, undefined, `/hosts/${db.id}`);
    await jobsLive;
    const run = await fleet.gql('mutation($h: ID!){ runJob(hostId: $h, kind: BACKUP){ id } }', { h: db.id });
    const jobId = run.runJob.id as string;
    await dbAgent.next('command.run');
    dbAgent.send('job.started', { jobId, startedAt: new Date(Date.now() - 95_000).toISOString() });
    dbAgent.send('job.finished', {
      jobId, status: 'succeeded', finishedAt: new Date().toISOString(), exitCode: 0,
      summary: { snapshotId: '4f1c2a9be0d3', filesNew: 214, filesChanged: 37, bytesAdded: 1_288_490_188, totalBytes: 98_000_000_000, durationMs: 95_000 },
    });
    const row = page.locator(`tr[data-job-id="${jobId}"]`);
    await expect.poll(() => row.getAttribute('data-status')).toBe('succeeded');
    expect(await row.textContent()).toMatch(/\+1\.2 GB · 214 new, 37 changed/);
  });

  it('writes screenshots of the host page at both widths', async () => {
    for (const width of Object.values(WIDTHS)) {
      const page = await browser.newPage({ width });
      const progressLive = subscribed(page, 'jobProgress');
      await signIn(page, server.url, undefined, undefined, `/hosts/${db.id}`);
      await page.locator('table', { hasText: '30 2 * * *' }).waitFor();
      const running = page.getByTestId('jobs-table').locator('tr[data-status="running"]').first();
      const jobId = (await running.getAttribute('data-job-id'))!;
      await progressLive;
      dbAgent.send('job.progress', { jobId, percent: 64, bytesDone: 4_912_345_678, filesDone: 27_310, message: 'processed 27310 files, 4.6 GiB in 1:12' });
      await expect.poll(() => running.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('64');
      await screenshot(page, 'host');
    }
  });
});
