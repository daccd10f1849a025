import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, Route } from 'playwright-core';
import type { ServerHandle } from '../helpers/server.ts';
import { startSink, type Sink } from '../helpers/sink.ts';
import { waitFor } from '../helpers/wait.ts';
import { FakeAgent } from './support/agent.ts';
import { launch, screenshot, WIDTHS, type Session } from './support/browser.ts';
import { Fleet, type EnrolledHost } from './support/fleet.ts';
import { signIn } from './support/ui.ts';
import { guardEachTest, startVigil, stopVigil } from './support/vigil.ts';

/**
 * Acting on alerts: bulk acknowledge and resolve for operators (progress, a
 * summary naming each alert the server refused), and an alert's page that folds
 * a channel's retries into one line per notification.
 */
describe('alert actions', () => {
  let server: ServerHandle;
  let browser: Session;
  let fleet: Fleet;
  let sink: Sink;
  const hosts: Record<string, EnrolledHost> = {};
  const agents: FakeAgent[] = [];

  const row = (page: Page, text: string) => page.getByTestId('alert-list').locator('li', { hasText: text });

  async function alertOf(hostId: string): Promise<string> {
    const d = await fleet.gql('query($h: ID!){ alerts(filter: { hostId: $h, status: [OPEN, ACKNOWLEDGED, RESOLVED] }, first: 5){ edges { node { id } } } }', { h: hostId });
    return d.alerts.edges[0].node.id as string;
  }

  /** raise: a host whose agent reports a failed backup, so it has one open backup_failed alert. */
  async function raise(name: string, error: string): Promise<string> {
    const host = await fleet.enroll(name);
    hosts[name] = host;
    const agent = await FakeAgent.connect(server.url, host.token, `${name}.internal`);
    agents.push(agent);
    await fleet.failJob(agent, host.id, { error });
    return waitFor(() => alertOf(host.id).catch(() => null), { what: `the alert of ${name}` });
  }

  beforeAll(async () => {
    sink = await startSink();
    sink.fallback = { status: 500 };
    // Retries 10 ms apart (doubling): a failing channel piles up attempts within seconds.
    server = await startVigil({ VIGIL_DELIVERY_RETRY_BASE_MS: '10' });
    fleet = await Fleet.admin(server.url);
    await fleet.createUser('olivia', 'operator-password', 'OPERATOR');
    await fleet.createUser('victor', 'viewer-password', 'VIEWER');
    browser = await launch();
  });
  afterAll(async () => {
    for (const a of agents) await a.close();
    await browser?.close();
    await stopVigil(server);
    await sink?.close();
  });
  guardEachTest(() => ({ server, browser }));

  it('acknowledges the selected alerts one by one with progress, and names the one the server refused', async () => {
    await raise('db-01', 'unable to open repository at s3:backups/db-01: Access Denied');
    await raise('web-01', 'Fatal: wrong password or no key found');
    const gone = await raise('files-01', 'repository is already locked exclusively');
    // Resolved by someone else before the operator acts: acknowledging it is a CONFLICT.
    await fleet.gql('mutation($id: ID!){ resolveAlert(id: $id){ id } }', { id: gone });

    const page = await browser.newPage();
    await signIn(page, server.url, 'olivia', 'operator-password', '/alerts?status=all');
    await row(page, 'Access Denied').waitFor();
    await row(page, 'already locked').waitFor();
    expect(await page.getByTestId('bulk-selected').textContent()).toBe('none selected');
    expect(await page.getByRole('button', { name: 'Acknowledge selected' }).isDisabled()).toBe(true);

    await page.getByRole('checkbox', { name: 'Select all shown' }).check();
    await expect.poll(() => page.getByTestId('bulk-selected').textContent()).toBe('3 selected');
    expect(await row(page, 'wrong password').getByRole('checkbox').isChecked()).toBe(true);

    // Hold the first acknowledgement at the network until the progress has been seen.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    await page.route('**/graphql', async (route: Route) => {
      const body = route.request().postDataJSON() as { operationName?: string } | null;
      if (body?.operationName === 'AcknowledgeAlert' && first) {
        first = false;
        await held;
      }
      await route.continue();
    });
    await page.getByRole('button', { name: 'Acknowledge selected' }).click();
    await expect.poll(() => page.getByTestId('bulk-progress').textContent()).toBe('Acknowledging 1 of 3…');
    expect(await page.getByRole('progressbar').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Resolve selected' }).isDisabled()).toBe(true);
    release();

    await expect.poll(() => page.getByTestId('bulk-summary').textContent()).toMatch(/^\s*Acknowledged 2 of 3\. 1 failed:\s*$/);
    const failures = page.getByTestId('bulk-failures').locator('li');
    expect(await failures.count()).toBe(1);
    expect(await failures.first().getAttribute('data-alert-id')).toBe(gone);
    expect(await failures.first().textContent()).toBe('files-01 · backup failed: the alert is already resolved (CONFLICT)');
    expect(await row(page, 'Access Denied').getAttribute('data-status')).toBe('acknowledged');
    expect(await row(page, 'wrong password').getAttribute('data-status')).toBe('acknowledged');
    expect(await row(page, 'already locked').getAttribute('data-status')).toBe('resolved');
    // The selection is spent.
    expect(await page.getByTestId('bulk-selected').textContent()).toBe('none selected');
    const ackedBy = await fleet.gql('query($id: ID!){ alert(id: $id){ acknowledgedBy } }', { id: await alertOf(hosts['db-01']!.id) });
    expect(ackedBy.alert.acknowledgedBy).toBe('olivia');
    for (const width of Object.values(WIDTHS)) {
      await page.setViewportSize({ width, height: 900 });
      await screenshot(page, 'alerts-bulk');
    }
  });

  it('resolves only the alerts ticked, and says so', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, 'olivia', 'operator-password', '/alerts?status=open,acknowledged');
    await row(page, 'Access Denied').waitFor();
    await row(page, 'Access Denied').getByRole('checkbox').check();
    await expect.poll(() => page.getByTestId('bulk-selected').textContent()).toBe('1 selected');
    expect(await page.getByRole('checkbox', { name: 'Select all shown' }).isChecked()).toBe(false);

    await page.getByRole('button', { name: 'Resolve selected' }).click();
    await expect.poll(() => page.getByTestId('bulk-summary').textContent()).toMatch(/^\s*Resolved 1 of 1\.\s*$/);
    expect(await page.getByTestId('bulk-failures').count()).toBe(0);
    // Resolved, it leaves this view; the other alert stays, acknowledged.
    await expect.poll(() => row(page, 'Access Denied').count()).toBe(0);
    expect(await row(page, 'wrong password').getAttribute('data-status')).toBe('acknowledged');
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => page.getByTestId('bulk-report').count()).toBe(0);
  });

  it('shows a viewer no checkboxes and no bulk actions', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, 'victor', 'viewer-password', '/alerts?status=all');
    await row(page, 'wrong password').waitFor();
    expect(await page.getByTestId('alert-list').getByRole('checkbox').count()).toBe(0);
    expect(await page.getByTestId('bulk-bar').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Acknowledge selected' }).count()).toBe(0);
  });

  it('folds a channel\'s retries into one line per notification, under Raised and Acknowledged, without doubled texts', async () => {
    const channel = await fleet.gql('mutation($i: ChannelInput!){ createChannel(input: $i){ id } }', {
      i: { name: 'Pager hook', enabled: true, webhook: { url: `${sink.url}/hooks/pager` } },
    });
    expect(channel.createChannel.id).toBeTruthy();
    const id = await raise('nas-01', 'unable to open config file: Stat: stat /srv/restic/config: no such file or directory');
    const deliveries = async () => (await fleet.gql('query($id: ID!){ alert(id: $id){ deliveries { event attempt ok } } }', { id })).alert.deliveries as Array<{ event: string; attempt: number }>;
    await waitFor(async () => (await deliveries()).filter((d) => d.event === 'alert.raised').length >= 4, { what: 'four attempts of alert.raised', timeoutMs: 30_000 });
    await fleet.gql('mutation($id: ID!){ acknowledgeAlert(id: $id){ id } }', { id });
    await waitFor(async () => (await deliveries()).filter((d) => d.event === 'alert.acknowledged').length >= 2, { what: 'two attempts of alert.acknowledged', timeoutMs: 30_000 });

    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, `/alerts/${id}`);
    const timeline = page.getByTestId('alert-timeline').locator('li');
    await timeline.first().waitFor();
    const texts = await timeline.allTextContents();
    expect(texts.filter((t) => t.includes('Failed to notify Pager hook'))).toHaveLength(2);
    expect(texts.some((t) => t.includes('Raised'))).toBe(true);
    expect(texts.some((t) => t.includes('Acknowledged by admin'))).toBe(true);
    expect(texts.join('\n')).not.toMatch(/attempt \d/);
    expect(texts.join('\n')).not.toContain('HTTP 500 · HTTP 500');
    const raised = texts.find((t) => t.includes('Failed to notify') && t.includes('alert.raised'))!;
    expect(raised).toMatch(/alert\.raised · HTTP 500 · \d+ attempts · last /);
    expect(Number(/(\d+) attempts/.exec(raised)![1])).toBeGreaterThanOrEqual(4);

    const table = page.getByTestId('alert-deliveries');
    expect(await table.locator('tbody tr').count()).toBe(2);
    const raisedRow = table.locator('tr[data-event="alert.raised"]');
    const cells = await raisedRow.locator('td').allTextContents();
    expect(cells[2]!.trim()).toBe('failed · 500');
    expect(Number(cells[4])).toBeGreaterThanOrEqual(4);
    expect(cells[5]).toMatch(/first .+last /);
    for (const width of Object.values(WIDTHS)) {
      await page.setViewportSize({ width, height: 900 });
      await screenshot(page, 'alert-detail-retries');
    }
  });
});
