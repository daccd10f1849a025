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
    await fleet.createUser('olga', 'operator-password', 'OPERATOR');
    await fleet.createUser('victor', 'viewer-password', 'VIEWER');
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

  it('names a bad timezone under the Timezone field, not under the cron', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, `/hosts/${db.id}`);
    await page.getByRole('button', { name: 'New schedule' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/^Cron/).fill('15 3 * * *');
    await dialog.getByLabel('Timezone').fill('Mars/Olympus_Mons');
    const timezone = dialog.getByLabel('Timezone');
    await expect.poll(() => timezone.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.locator('#sched-tz-error').textContent()).toMatch(/timezone/i);
    expect(await dialog.getByLabel(/^Cron/).getAttribute('aria-invalid')).toBe('false');
    expect(await dialog.locator('#sched-cron-error').count()).toBe(0);
    expect(await dialog.getByRole('button', { name: 'Create schedule' }).isDisabled()).toBe(true);

    await timezone.fill('Europe/Paris');
    await expect.poll(() => dialog.getByTestId('cron-next-runs').locator('time').count()).toBe(3);
    expect(await timezone.getAttribute('aria-invalid')).toBe('false');
    expect(await dialog.getByRole('button', { name: 'Create schedule' }).isDisabled()).toBe(false);
  });

  it('checks a forget schedule\'s retention in the form: whole numbers of 0 or more, or empty', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, `/hosts/${db.id}`);
    await page.getByRole('button', { name: 'New schedule' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Job').selectOption('FORGET');
    await dialog.getByLabel('Weekly').fill('2.5');
    await dialog.getByLabel('Daily').fill('abc');
    await dialog.getByLabel('Monthly').fill('-1');
    await dialog.getByLabel('Last').fill('7');
    const create = dialog.getByRole('button', { name: 'Create schedule' });
    await expect.poll(() => create.isDisabled()).toBe(false);
    await create.click();
    await expect.poll(() => dialog.locator('#sched-keepWeekly-error').textContent()).toBe('must be a whole number, 0 or more');
    expect(await dialog.locator('#sched-keepDaily-error').textContent()).toBe('must be a whole number, 0 or more');
    expect(await dialog.locator('#sched-keepMonthly-error').textContent()).toBe('must be a whole number, 0 or more');
    expect(await dialog.getByLabel('Weekly').getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.getByLabel('Last').getAttribute('aria-invalid')).toBe('false');
    expect(await dialog.getByRole('alert').allTextContents()).not.toContainEqual(expect.stringMatching(/Variable|expected number/));
    // What was typed is kept.
    expect(await dialog.getByLabel('Weekly').inputValue()).toBe('2.5');

    await dialog.getByLabel('Weekly').fill('4');
    await dialog.getByLabel('Daily').fill('');
    await dialog.getByLabel('Monthly').fill(' 6 ');
    await create.click();
    await dialog.waitFor({ state: 'detached' });
    const schedules = await fleet.gql('query($id: ID!){ host(id: $id){ schedules { kind retention { keepLast keepDaily keepWeekly keepMonthly } } } }', { id: db.id });
    const forget = schedules.host.schedules.find((s: { kind: string }) => s.kind === 'FORGET');
    expect(forget.retention).toEqual({ keepLast: 7, keepDaily: null, keepWeekly: 4, keepMonthly: 6 });
  });

  it('answers "Not found" for an unknown or deleted host, as for an unknown alert', async () => {
    const gone = await fleet.enroll('old-01');
    await fleet.gql('mutation($id: ID!){ deleteHost(id: $id) }', { id: gone.id });
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, `/hosts/${gone.id}`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('This host does not exist (or was deleted).');
    expect(await page.locator('main').textContent()).not.toContain('GraphQL');

    await page.goto(`${server.url}/hosts/01ZZZZZZZZZZZZZZZZZZZZZZZZ`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
  });

  it('says so when the host on screen is deleted in another session', async () => {
    const doomed = await fleet.enroll('old-02');
    const page = await browser.newPage();
    const removedLive = subscribed(page, 'hostRemoved');
    await signIn(page, server.url, undefined, undefined, `/hosts/${doomed.id}`);
    await removedLive;
    await page.getByRole('heading', { name: 'old-02' }).waitFor();

    await fleet.gql('mutation($id: ID!){ deleteHost(id: $id) }', { id: doomed.id });
    const gone = page.getByTestId('host-removed');
    await gone.waitFor();
    expect(await gone.textContent()).toContain('old-02 was deleted');
    expect(await page.getByRole('button', { name: 'Run backup now' }).count()).toBe(0);
    await gone.getByRole('link', { name: 'Back to the dashboard' }).click();
    await page.waitForURL(`${server.url}/`);
    await page.locator('tr[data-host="db-01"]').waitFor();
    expect(await page.locator('tr[data-host="old-02"]').count()).toBe(0);
  });

  it('lets an operator rename a host and set its tags, with each error on its field', async () => {
    const host = await fleet.enroll('edit-01', { tags: ['old'] });
    await fleet.enroll('taken-01');
    const page = await browser.newPage();
    await signIn(page, server.url, 'olga', 'operator-password', `/hosts/${host.id}`);
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const dialog = page.getByRole('dialog');
    const name = dialog.getByLabel('Name');
    const tags = dialog.getByLabel('Tags');
    expect(await name.inputValue()).toBe('edit-01');
    expect(await tags.inputValue()).toBe('old');

    // The second tag is the bad one (tags.1): the error names it.
    await tags.fill('storage, -home');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => tags.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.locator('#edit-host-tags-error').textContent()).toMatch(/"-home" may hold letters, digits/);
    expect(await name.getAttribute('aria-invalid')).toBe('false');

    // A name another host has: CONFLICT, shown on the name.
    await tags.fill('storage, home');
    await name.fill('taken-01');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => name.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.locator('#edit-host-name-error').textContent()).toContain('a host named "taken-01" already exists');
    expect(await tags.getAttribute('aria-invalid')).toBe('false');

    await name.fill('  ');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.locator('#edit-host-name-error').textContent()).toBe('must not be empty');

    await name.fill('nas-01');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: 'nas-01' }).waitFor();
    expect(await page.locator('.chip', { hasText: '#storage' }).count()).toBe(1);
    expect(await page.locator('.chip', { hasText: '#old' }).count()).toBe(0);
    const stored = await fleet.gql('query($id: ID!){ host(id: $id){ name tags } }', { id: host.id });
    expect(stored.host).toEqual({ name: 'nas-01', tags: ['storage', 'home'] });
  });

  it('cancels a queued job after asking, and the row turns cancelled at once', async () => {
    // No agent has ever connected: the job waits (QUEUED) for it.
    const parked = await fleet.enroll('park-01');
    const run = await fleet.gql('mutation($h: ID!){ runJob(hostId: $h, kind: CHECK){ id status } }', { h: parked.id });
    expect(run.runJob.status).toBe('QUEUED');
    const page = await browser.newPage();
    await signIn(page, server.url, 'olga', 'operator-password', `/hosts/${parked.id}`);
    const row = page.locator(`tr[data-job-id="${run.runJob.id}"]`);
    await expect.poll(() => row.getAttribute('data-status')).toBe('queued');

    await row.getByRole('button', { name: 'Cancel' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this check?' });
    expect(await dialog.textContent()).toContain('It has not started yet');
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await row.getAttribute('data-status')).toBe('queued');

    await row.getByRole('button', { name: 'Cancel' }).click();
    await dialog.getByRole('button', { name: 'Cancel job' }).click();
    await expect.poll(() => row.getAttribute('data-status')).toBe('cancelled');
    expect(await row.textContent()).toContain('cancelled by olga before it started');
    expect(await row.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    const stored = await fleet.gql('query($id: ID!){ job(id: $id){ status } }', { id: run.runJob.id });
    expect(stored.job.status).toBe('CANCELLED');
  });

  it('asks the agent to stop a running job, shows it cancelled live, and says when a job already ended', async () => {
    await fleet.withOnlineHost('run-01', async (host, agent) => {
      const start = async () => {
        const run = await fleet.gql('mutation($h: ID!){ runJob(hostId: $h, kind: CHECK){ id } }', { h: host.id });
        const jobId = run.runJob.id as string;
        await agent.next('command.run');
        agent.send('job.started', { jobId, startedAt: new Date().toISOString() });
        await waitFor(async () => (await fleet.gql('query($id: ID!){ job(id: $id){ status } }', { id: jobId })).job.status === 'RUNNING', { what: 'the job running' });
        return jobId;
      };
      const first = await start();
      const page = await browser.newPage();
      const jobsLive = subscribed(page, 'jobChanged');
      await signIn(page, server.url, 'olga', 'operator-password', `/hosts/${host.id}`);
      await jobsLive;
      const row = page.locator(`tr[data-job-id="${first}"]`);
      await expect.poll(() => row.getAttribute('data-status')).toBe('running');
      await row.getByRole('button', { name: 'Cancel' }).click();
      const dialog = page.getByRole('dialog', { name: 'Cancel this check?' });
      expect(await dialog.textContent()).toContain('asks the agent to stop it');
      await dialog.getByRole('button', { name: 'Cancel job' }).click();
      const asked = await agent.next('command.cancel');
      expect(asked.payload.jobId).toBe(first);
      await row.getByTestId('job-stopping').waitFor();
      agent.send('job.finished', { jobId: first, status: 'cancelled', finishedAt: new Date().toISOString(), exitCode: 130, error: 'stopped on request' });
      await expect.poll(() => row.getAttribute('data-status')).toBe('cancelled');
      expect(await row.getByRole('button', { name: 'Cancel' }).count()).toBe(0);

      // The job ends while the question is open: CONFLICT, said in plain words.
      const second = await start();
      const row2 = page.locator(`tr[data-job-id="${second}"]`);
      await expect.poll(() => row2.getAttribute('data-status')).toBe('running');
      await row2.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor();
      agent.send('job.finished', { jobId: second, status: 'succeeded', finishedAt: new Date().toISOString(), exitCode: 0, summary: { message: 'no errors were found' } });
      await expect.poll(() => row2.getAttribute('data-status')).toBe('succeeded');
      await dialog.getByRole('button', { name: 'Cancel job' }).click();
      const error = page.getByTestId('cancel-error');
      await error.waitFor();
      expect(await error.textContent()).toBe('Check not cancelled: the job already succeeded.');
      expect(agent.frames.filter((f) => f.type === 'command.cancel').length).toBe(0);
    });
  });

  it('offers a viewer no edit, cancel or delete on a host', async () => {
    const parked = await fleet.enroll('park-02');
    const run = await fleet.gql('mutation($h: ID!){ runJob(hostId: $h, kind: CHECK){ id } }', { h: parked.id });
    const page = await browser.newPage();
    await signIn(page, server.url, 'victor', 'viewer-password', `/hosts/${parked.id}`);
    await page.getByRole('heading', { name: 'park-02' }).waitFor();
    await expect.poll(() => page.locator(`tr[data-job-id="${run.runJob.id}"]`).getAttribute('data-status')).toBe('queued');
    expect(await page.getByRole('button', { name: 'Edit', exact: true }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Cancel/ }).count()).toBe(0);
  });

  it('shows a job\'s log times in local time, like the rest of the UI', async () => {
    const run = await fleet.gql('mutation($h: ID!){ runJob(hostId: $h, kind: CHECK){ id } }', { h: db.id });
    const jobId = run.runJob.id as string;
    await dbAgent.next('command.run');
    dbAgent.send('job.started', { jobId, startedAt: new Date().toISOString() });
    dbAgent.send('log.lines', { stream: 'stdout', jobId, lines: [{ ts: '2026-01-15T10:00:05.000Z', text: 'check snapshots, trees and blobs' }] });
    dbAgent.send('job.finished', { jobId, status: 'succeeded', finishedAt: new Date().toISOString(), exitCode: 0, summary: { message: 'no errors were found' } });
    await waitFor(async () => (await fleet.gql('query($id: ID!){ job(id: $id){ status logLines { ts } } }', { id: jobId })).job.logLines.length === 1, { what: 'the job\'s log line stored' });

    // India is UTC+05:30 all year: 10:00:05 UTC is 15:30:05 there.
    const page = await browser.newPage({ timezoneId: 'Asia/Kolkata', locale: 'en-GB' });
    await signIn(page, server.url, undefined, undefined, `/hosts/${db.id}`);
    await page.locator(`tr[data-job-id="${jobId}"]`).getByRole('button', { name: 'Log' }).click();
    const log = page.getByRole('log', { name: 'Job output' });
    await log.getByText('check snapshots, trees and blobs').waitFor();
    expect(await log.textContent()).toMatch(/^\s*15:30:05\s*check snapshots/);
    const stamp = log.locator('time').first();
    expect(await stamp.getAttribute('datetime')).toBe('2026-01-15T10:00:05.000Z');
  });

  it('counts a running job\'s time up every second', async () => {
    const run = await fleet.gql('mutation($h: ID!){ runJob(hostId: $h, kind: CHECK){ id } }', { h: db.id });
    const jobId = run.runJob.id as string;
    await dbAgent.next('command.run');
    // Started a few seconds ago: "Took" reads whole seconds ("3s"), not milliseconds.
    dbAgent.send('job.started', { jobId, startedAt: new Date(Date.now() - 3_000).toISOString() });
    await waitFor(async () => (await fleet.gql('query($id: ID!){ job(id: $id){ status } }', { id: jobId })).job.status === 'RUNNING', { what: 'the job running' });

    const page = await browser.newPage();
    await page.clock.install();
    // The page loads the host, then fetches it once more when its subscriptions are in place;
    // only after that second answer does nothing but the clock redraw the row.
    let hostFetches = 0;
    page.on('requestfinished', (r) => void (r.postData()?.includes('query HostPage') && hostFetches++));
    await signIn(page, server.url, undefined, undefined, `/hosts/${db.id}`);
    const row = page.locator(`tr[data-job-id="${jobId}"]`);
    await expect.poll(() => row.getAttribute('data-status')).toBe('running');
    await expect.poll(() => hostFetches).toBeGreaterThanOrEqual(2);
    const took = row.locator('td').nth(4);
    const seconds = async () => Number((await took.textContent())?.match(/^(\d+)s$/)?.[1] ?? NaN);
    const before = await seconds();
    expect(before).toBeGreaterThanOrEqual(0);
    await page.clock.runFor(5_000);
    await expect.poll(seconds).toBeGreaterThanOrEqual(before + 5);
    dbAgent.send('job.finished', { jobId, status: 'succeeded', finishedAt: new Date().toISOString(), exitCode: 0 });
  });

  it('keeps keyboard focus on the always-on switch while it saves', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, `/hosts/${laptop.id}`);
    const toggle = page.getByRole('switch', { name: 'Always on (24x7)' });
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('false');
    await toggle.focus();
    await page.keyboard.press('Space');
    await chip(page).waitFor();
    await expect.poll(() => toggle.getAttribute('aria-disabled')).not.toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('always-on');
    // Space again turns it back off: focus never left.
    await page.keyboard.press('Space');
    await chip(page).waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('always-on');
    expect(await toggle.getAttribute('aria-checked')).toBe('false');
  });

  it('pages through every job of a busy host, down to the oldest one and its log', async () => {
    await fleet.withOnlineHost('busy-01', async (busy, agent) => {
      const runCheck = async (log?: string) => {
        await fleet.gql('mutation($h: ID!){ runJob(hostId: $h, kind: CHECK){ id } }', { h: busy.id });
        const jobId = (await agent.next('command.run')).payload.jobId as string;
        agent.send('job.started', { jobId, startedAt: new Date().toISOString() });
        if (log) agent.send('log.lines', { stream: 'stdout', jobId, lines: [{ ts: new Date().toISOString(), text: log }] });
        agent.send('job.finished', { jobId, status: 'succeeded', finishedAt: new Date().toISOString(), exitCode: 0, summary: { message: 'no errors were found' } });
        return jobId;
      };
      const oldest = await runCheck('the oldest check of busy-01');
      for (let i = 1; i < 70; i++) await runCheck();
      const done = async () => (await fleet.gql('query($h: ID!){ jobs(filter: { hostId: $h, status: [SUCCEEDED] }, first: 1){ totalCount } }', { h: busy.id })).jobs.totalCount as number;
      await waitFor(async () => (await done()) === 70, { what: '70 checks finished' });

      const page = await browser.newPage();
      const jobsLive = subscribed(page, 'jobChanged');
      await signIn(page, server.url, undefined, undefined, `/hosts/${busy.id}`);
      await jobsLive;
      const rows = page.getByTestId('jobs-table').locator('tbody tr[data-job-id]');
      const count = page.getByTestId('jobs-count');
      const more = page.getByRole('button', { name: 'Show older jobs' });
      await expect.poll(() => rows.count()).toBe(15);
      expect(await count.textContent()).toBe('15 of 70');
      await more.click();
      await expect.poll(() => rows.count()).toBe(65);
      expect(await count.textContent()).toBe('65 of 70');

      // A job fails while older pages are open: it joins the top, and the alert it raises
      // refreshes the page's first 15 jobs; no job is skipped or shown twice.
      const failed = await fleet.failJob(agent, busy.id, { kind: 'CHECK', error: 'Fatal: repository contains errors' });
      await expect.poll(() => page.locator(`tr[data-job-id="${failed}"]`).getAttribute('data-status')).toBe('failed');
      await page.locator('section[aria-labelledby="host-alerts-title"] li').first().waitFor();
      await expect.poll(() => count.textContent()).toBe('66 of 71');
      await more.click();
      await expect.poll(() => rows.count()).toBe(71);
      expect(await count.textContent()).toBe('71 in all');
      expect(await more.count()).toBe(0);
      const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-job-id')));
      const stored = await fleet.gql('query($h: ID!){ jobs(filter: { hostId: $h }, first: 100){ edges { node { id } } } }', { h: busy.id });
      expect(shown).toEqual(stored.jobs.edges.map((e: { node: { id: string } }) => e.node.id));
      expect(shown[0]).toBe(failed);
      expect(shown.at(-1)).toBe(oldest);

      await page.locator(`tr[data-job-id="${oldest}"]`).getByRole('button', { name: 'Log' }).click();
      await page.getByRole('log', { name: 'Job output' }).getByText('the oldest check of busy-01').waitFor();
    });
  });

  it('says how many open alerts there are beyond the 20 shown, and links to all of them', async () => {
    await fleet.withOnlineHost('noisy-01', async (noisy, agent) => {
      // A failed backup is one alert per schedule: 23 schedules, 23 open alerts.
      const volumes = Array.from({ length: 23 }, (_, i) => i);
      const schedules = await Promise.all(
        volumes.map((i) => fleet.gql('mutation($i: CreateScheduleInput!){ createSchedule(input: $i){ id } }', { i: { hostId: noisy.id, kind: 'BACKUP', cron: `${i} 3 * * *`, paths: [`/srv/volume-${i}`] } })),
      );
      await Promise.all(schedules.map((s) => fleet.gql('mutation($h: ID!, $s: ID){ runJob(hostId: $h, kind: BACKUP, scheduleId: $s){ id } }', { h: noisy.id, s: s.createSchedule.id })));
      for (const _ of volumes) await agent.failJob((await agent.next('command.run')).payload.jobId as string, 'Fatal: unable to open the repository');
      const open = async () => (await fleet.gql('query($h: ID!){ alerts(filter: { hostId: $h, status: [OPEN] }, first: 1){ totalCount } }', { h: noisy.id })).alerts.totalCount as number;
      await waitFor(async () => (await open()) === 23, { what: '23 open alerts' });

      const page = await browser.newPage();
      await signIn(page, server.url, undefined, undefined, `/hosts/${noisy.id}`);
      const card = page.locator('section[aria-labelledby="host-alerts-title"]');
      await expect.poll(() => card.locator('li').count()).toBe(20);
      expect(await page.getByTestId('host-alerts-count').textContent()).toBe('20 of 23');
      await card.getByRole('link', { name: 'All 23 open alerts for this host →' }).click();
      await page.waitForURL((url) => url.pathname === '/alerts' && url.searchParams.get('host') === noisy.id);
      await expect.poll(() => page.getByTestId('alert-list').locator('li').count()).toBe(23);
    });
  });

  it('says when a job that never started was queued, or that it was cancelled, instead of a start time', async () => {
    const parked = await fleet.enroll('park-03');
    const run = await fleet.gql('mutation($h: ID!){ runJob(hostId: $h, kind: CHECK){ id createdAt } }', { h: parked.id });
    const page = await browser.newPage();
    const jobsLive = subscribed(page, 'jobChanged');
    await signIn(page, server.url, undefined, undefined, `/hosts/${parked.id}`);
    await jobsLive;
    const row = page.locator(`tr[data-job-id="${run.runJob.id}"]`);
    const started = row.locator('td').nth(3);
    await expect.poll(() => row.getAttribute('data-status')).toBe('queued');
    expect((await started.textContent())?.trim()).toMatch(/^queued (just now|\d+s ago)$/);
    expect(await started.locator('time').getAttribute('datetime')).toBe(run.runJob.createdAt);

    await fleet.gql('mutation($id: ID!){ cancelJob(id: $id){ id } }', { id: run.runJob.id });
    await expect.poll(() => row.getAttribute('data-status')).toBe('cancelled');
    expect((await started.textContent())?.trim()).toBe('cancelled');
    expect(await started.locator('time').count()).toBe(0);
  });

  it('keeps when each job ran, and how long it took, on a 390 px screen', async () => {
    const page = await browser.newPage({ width: WIDTHS.mobile });
    await signIn(page, server.url, undefined, undefined, `/hosts/${db.id}`);
    // The backup that ran for 95 s ('shows what a finished backup added').
    const row = page.getByTestId('jobs-table').locator('tr[data-status="succeeded"]', { hasText: '214 new' });
    const when = row.locator('time:visible');
    await expect.poll(() => when.count()).toBe(1);
    expect(await when.textContent()).toMatch(/^(just now|\d+[smh] ago)$/);
    expect(await row.getByTestId('job-when').textContent()).toMatch(/ · 1m 35s$/);
    const box = (await when.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(WIDTHS.mobile);
    await screenshot(page, 'host-jobs-narrow');
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
