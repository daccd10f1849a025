import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerHandle } from '../helpers/server.ts';
import type { Page } from 'playwright-core';
import { waitFor } from '../helpers/wait.ts';
import { FakeAgent } from './support/agent.ts';
import { launch, screenshot, type Session } from './support/browser.ts';
import { Fleet } from './support/fleet.ts';
import { signIn } from './support/ui.ts';
import { guardEachTest, startVigil, stopVigil } from './support/vigil.ts';

/**
 * The always-on switch when it has consequences: making an always-on host intermittent
 * resolves its agent_offline alert, so the UI asks first. A server whose engine raises
 * agent_offline at once (no offline floor, a tick every second).
 */
describe('host page: the always-on switch', () => {
  let server: ServerHandle;
  let browser: Session;
  let fleet: Fleet;

  const stored = async (id: string) => (await fleet.gql('query($id: ID!){ host(id: $id){ alwaysOn } }', { id })).host.alwaysOn as boolean;
  const offlineAlerts = async (hostId: string) =>
    (await fleet.gql('query($h: ID!){ alerts(filter: { hostId: $h, kind: "agent_offline", status: [OPEN, ACKNOWLEDGED, RESOLVED] }, first: 5){ edges { node { status } } } }', { h: hostId }))
      .alerts.edges.map((e: { node: { status: string } }) => e.node.status) as string[];

  beforeAll(async () => {
    server = await startVigil({ VIGIL_TICK_SECONDS: '1', VIGIL_SWEEP_SECONDS: '1', VIGIL_AGENT_OFFLINE_FLOOR_SECONDS: '0' });
    fleet = await Fleet.admin(server.url);
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await stopVigil(server);
  });
  guardEachTest(() => ({ server, browser }));

  it('asks before making a host with an open agent offline alert intermittent, and only then resolves the alert', async () => {
    const host = await fleet.enroll('srv-01');
    // Seen once, then gone: an always-on host that is away gets agent_offline.
    const agent = await FakeAgent.connect(server.url, host.token, 'srv-01.internal');
    await agent.close();
    await waitFor(async () => (await offlineAlerts(host.id)).includes('OPEN'), { what: 'agent_offline open for srv-01' });

    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, `/hosts/${host.id}`);
    const toggle = page.getByRole('switch', { name: 'Always on (24x7)' });
    const dialog = page.getByRole('dialog', { name: 'Make srv-01 intermittent?' });
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('true');

    await toggle.click();
    await dialog.waitFor();
    expect(await dialog.textContent()).toMatch(/open agent offline alert.*resolves that alert and notifies/);
    await screenshot(page, 'host-always-on-confirm');
    // Kept: nothing changes, and the switch still says so.
    await dialog.getByRole('button', { name: 'Keep always on' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await toggle.getAttribute('aria-checked')).toBe('true');
    expect(await page.getByTestId('always-on-chip').count()).toBe(1);
    expect(await stored(host.id)).toBe(true);
    expect(await offlineAlerts(host.id)).toEqual(['OPEN']);

    await toggle.click();
    await dialog.getByRole('button', { name: 'Switch and resolve' }).click();
    await page.getByTestId('always-on-chip').waitFor({ state: 'detached' });
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('false');
    expect(await stored(host.id)).toBe(false);
    await waitFor(async () => (await offlineAlerts(host.id)).join() === 'RESOLVED', { what: 'the agent_offline alert resolved' });
  });

  it('switches a host without an offline alert at once, both ways', async () => {
    await fleet.withOnlineHost('srv-02', async (host, agent) => {
      const page = await browser.newPage();
      await signIn(page, server.url, undefined, undefined, `/hosts/${host.id}`);
      const toggle = page.getByRole('switch', { name: 'Always on (24x7)' });
      await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('true');
      await toggle.click();
      await page.getByTestId('always-on-chip').waitFor({ state: 'detached' });
      expect(await page.getByRole('dialog').count()).toBe(0);
      expect(await stored(host.id)).toBe(false);
      await toggle.click();
      await page.getByTestId('always-on-chip').waitFor();
      expect(await page.getByRole('dialog').count()).toBe(0);
      expect(await stored(host.id)).toBe(true);
    });
  });

  it('keeps a change made on the page when a reload asked before it answers after it', async () => {
    await fleet.withOnlineHost('srv-03', async (host, agent) => {
      const page = await browser.newPage();
      const late = await holdOneReload(page);
      await signIn(page, server.url, undefined, undefined, `/hosts/${host.id}`);
      const toggle = page.getByRole('switch', { name: 'Always on (24x7)' });
      await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('true');
      await waitFor(() => late.held, { what: 'a reload of the host page held' });
      await toggle.click();
      await page.getByTestId('always-on-chip').waitFor({ state: 'detached' });
      expect(await stored(host.id)).toBe(false);
      const before = late.loads;
      late.release();
      // the late answer is dropped and a fresh reload follows; the page still shows the change
      await waitFor(() => late.loads > before, { what: 'a fresh reload' });
      await expect.poll(() => page.evaluate(() => document.querySelectorAll('[data-testid="always-on-chip"]').length)).toBe(0);
      expect(await toggle.getAttribute('aria-checked')).toBe('false');
    });
  });

  it('keeps a job shown finished live finished when a reload asked before the end answers after it', async () => {
    await fleet.withOnlineHost('srv-04', async (host, agent) => {
      const jobId = (await fleet.gql('mutation($h: ID!){ runJob(hostId: $h, kind: CHECK){ id } }', { h: host.id })).runJob.id as string;
      await agent.next('command.run');
      agent.send('job.started', { jobId, startedAt: new Date().toISOString() });
      await waitFor(async () => (await fleet.gql('query($id: ID!){ job(id: $id){ status } }', { id: jobId })).job.status === 'RUNNING', { what: 'the job running' });
      const page = await browser.newPage();
      const late = await holdOneReload(page);
      await signIn(page, server.url, undefined, undefined, `/hosts/${host.id}`);
      const row = page.locator(`tr[data-job-id="${jobId}"]`);
      await expect.poll(() => row.getAttribute('data-status')).toBe('running');
      await waitFor(() => late.held, { what: 'a reload of the host page held (the job still running in it)' });
      agent.send('job.finished', { jobId, status: 'succeeded', finishedAt: new Date().toISOString(), exitCode: 0 });
      await expect.poll(() => row.getAttribute('data-status'), { timeout: 10_000 }).toBe('succeeded');
      late.release();
      await waitFor(() => late.handedOver, { what: 'the late answer handed to the page' });
      // once the page has rendered two frames since, the late answer (job running) has not taken the row back
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      expect(await row.getAttribute('data-status')).toBe('succeeded');
    });
  });
});

/**
 * holdOneReload: the first reload of the host page after its load is answered by the server at
 * once but handed to the page only on release() - an answer from before what happens meanwhile,
 * arriving after it. `loads` counts the page's loads; `handedOver` says the late answer reached it.
 */
async function holdOneReload(page: Page) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const state = { loads: 0, held: false, handedOver: false, release };
  await page.route('**/graphql', async (route) => {
    if (!/query HostPage\b/.test(route.request().postData() ?? '')) return route.continue();
    const response = await route.fetch();
    if (++state.loads > 1 && !state.held) {
      state.held = true;
      await released;
      await route.fulfill({ response });
      state.handedOver = true;
      return;
    }
    await route.fulfill({ response });
  });
  return state;
}
