import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ServerHandle } from '../helpers/server.ts';
import { FakeAgent } from './support/agent.ts';
import { launch, screenshot, WIDTHS, type Session } from './support/browser.ts';
import { Fleet, type EnrolledHost } from './support/fleet.ts';
import { signIn, subscribed } from './support/ui.ts';
import { guardEachTest, startVigil, stopVigil } from './support/vigil.ts';

/** Alerts raised by an agent over /agent reach open pages without a reload. */
describe('live alerts', () => {
  let server: ServerHandle;
  let browser: Session;
  let fleet: Fleet;
  let db: EnrolledHost;
  let web: EnrolledHost;
  let dbAgent: FakeAgent;
  let webAgent: FakeAgent;

  const badge = (page: Page) => page.getByTestId('nav-alert-badge');
  const row = (page: Page, text: string) => page.getByTestId('alert-list').locator('li', { hasText: text });

  beforeAll(async () => {
    server = await startVigil();
    fleet = await Fleet.admin(server.url);
    db = await fleet.enroll('db-01', { tags: ['prod', 'postgres'] });
    web = await fleet.enroll('web-01', { tags: ['prod'] });
    await fleet.createUser('olivia', 'operator-password', 'OPERATOR');
    await fleet.createUser('victor', 'viewer-password', 'VIEWER');
    dbAgent = await FakeAgent.connect(server.url, db.token, 'db-01.internal');
    webAgent = await FakeAgent.connect(server.url, web.token, 'web-01.internal');
    browser = await launch();
  });
  afterAll(async () => {
    await dbAgent?.close();
    await webAgent?.close();
    await browser?.close();
    await stopVigil(server);
  });
  guardEachTest(() => ({ server, browser }));

  it('shows a backup failure reported by the agent, and counts it in the nav badge, without a reload', async () => {
    const page = await browser.newPage();
    const live = subscribed(page, 'alertChanged');
    await signIn(page, server.url, undefined, undefined, '/alerts');
    await live;
    await page.getByRole('status').filter({ hasText: 'No open alerts' }).waitFor();
    expect(await badge(page).count()).toBe(0);
    // A marker on window survives only if the page is never reloaded.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

    await fleet.failJob(dbAgent, db.id, { error: 'unable to open repository at s3:backups/db-01: Access Denied' });

    await row(page, 'Access Denied').waitFor();
    expect(await row(page, 'Access Denied').textContent()).toContain('backup failed');
    await expect.poll(() => badge(page).textContent()).toBe('1');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  });

  it('updates a second open page live when an alert is acknowledged from the UI', async () => {
    const first = await browser.newPage();
    const second = await browser.newPage();
    const secondLive = subscribed(second, 'alertChanged');
    await signIn(first, server.url, 'olivia', 'operator-password', '/alerts?status=open,acknowledged');
    await signIn(second, server.url, undefined, undefined, '/alerts?status=open,acknowledged');
    await secondLive;
    await expect.poll(() => badge(second).textContent()).toBe('1');

    await row(first, 'Access Denied').getByRole('button', { name: 'Acknowledge' }).click();

    await expect.poll(() => row(second, 'Access Denied').getAttribute('data-status')).toBe('acknowledged');
    expect(await row(second, 'Access Denied').getByTestId('acknowledged-by').textContent()).toContain('olivia');
    await expect.poll(() => badge(second).count()).toBe(0);
  });

  it('offers acknowledge to an operator but not to a viewer', async () => {
    await fleet.failJob(webAgent, web.id, { kind: 'CHECK', error: 'Fatal: repository contains errors: pack 3f2a… is damaged' });
    const operator = await browser.newPage();
    const viewer = await browser.newPage();
    await signIn(operator, server.url, 'olivia', 'operator-password', '/alerts');
    await signIn(viewer, server.url, 'victor', 'viewer-password', '/alerts');
    await row(operator, 'damaged').waitFor();
    await row(viewer, 'damaged').waitFor();
    expect(await row(operator, 'damaged').getByRole('button', { name: 'Acknowledge' }).count()).toBe(1);
    expect(await row(viewer, 'damaged').getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    expect(await row(viewer, 'damaged').getByRole('button', { name: 'Resolve' }).count()).toBe(0);
  });

  it('ticks relative times client-side, so a tab left open stays true', async () => {
    const page = await browser.newPage();
    await page.clock.install();
    await signIn(page, server.url, undefined, undefined, '/alerts?status=all');
    const raised = row(page, 'Access Denied').locator('time').first();
    await expect.poll(() => raised.textContent()).toMatch(/s ago|just now/);
    await page.clock.runFor(5 * 60_000);
    await expect.poll(() => raised.textContent()).toMatch(/^5m ago$/);
    expect(await raised.getAttribute('title')).toMatch(/\d{4}/);
  });

  it('keeps an alert\'s message in view next to a long host name, with a space after the dot', async () => {
    const longName = 'backup-storage-node-frankfurt-rack-12-unit-04-primary-replica-with-a-very-long-name';
    const host = await fleet.enroll(longName);
    const agent = await FakeAgent.connect(server.url, host.token, 'storage.internal');
    await fleet.failJob(agent, host.id, { error: 'repository is already locked exclusively' });
    await agent.close();
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/alerts');
    const link = row(page, 'locked exclusively').getByRole('link');
    await link.waitFor();
    expect(await link.textContent()).toMatch(new RegExp(`^\\s*${longName} · \\S`));
    // The host name is cut short: the message starts well inside the visible line.
    const hostBox = (await link.locator('strong').boundingBox())!;
    const linkBox = (await link.boundingBox())!;
    expect(hostBox.x + hostBox.width).toBeLessThan(linkBox.x + linkBox.width * 0.6);
  });

  it('writes screenshots of the alerts list and an alert at both widths', async () => {
    for (const width of Object.values(WIDTHS)) {
      const page = await browser.newPage({ width });
      await signIn(page, server.url, undefined, undefined, '/alerts?status=all');
      await row(page, 'damaged').waitFor();
      await screenshot(page, 'alerts');
      await row(page, 'damaged').getByRole('link').click();
      await page.getByRole('heading', { name: 'Timeline' }).waitFor();
      await screenshot(page, 'alert-detail');
    }
  });
});
