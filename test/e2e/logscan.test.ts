import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ServerHandle } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { FakeAgent } from './support/agent.ts';
import { launch, screenshot, WIDTHS, type Session } from './support/browser.ts';
import { Fleet, type EnrolledHost } from './support/fleet.ts';
import { signIn, subscribed } from './support/ui.ts';
import { guardEachTest, startVigil, stopVigil } from './support/vigil.ts';

/**
 * Log scanning: the sample-line tester (captures, RE2's refusals inline), the
 * built-in restic rules, a line from a real agent socket becoming an event that
 * reaches an open events page and the stats panel live, and a host's override.
 */
const LOCKED = 'restic: repository locked';
const LOCKED_ID = '00000000000000000000RST001';
const LOCKED_LINE = 'unable to create lock in backend: repository is already locked by PID 16295 on db-01 by root (UID 0, GID 0)';

describe('log scanning', () => {
  let server: ServerHandle;
  let browser: Session;
  let fleet: Fleet;
  let db: EnrolledHost;
  let agent: FakeAgent;

  const stat = (page: Page, key: string) => page.getByTestId(`stat-${key}`).locator('.value');
  const sendLine = (text: string, stream: 'stdout' | 'stderr' = 'stderr') => agent.send('log.lines', { stream, lines: [{ ts: new Date().toISOString(), text }] });

  beforeAll(async () => {
    server = await startVigil();
    fleet = await Fleet.admin(server.url);
    db = await fleet.enroll('db-01', { tags: ['prod'] });
    await fleet.createUser('victor', 'viewer-password', 'VIEWER');
    agent = await FakeAgent.connect(server.url, db.token, 'db-01.internal');
    browser = await launch();
  });
  afterAll(async () => {
    await agent?.close();
    await browser?.close();
    await stopVigil(server);
  });
  guardEachTest(() => ({ server, browser }));

  it('shows what a pattern captures from a sample line, named groups by name and the others as $1, $2', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/settings/logscan/new');
    await page.getByLabel('Pattern (RE2)').fill('already locked by PID (?P<pid>\\d+) on (\\S+) by (\\w+)');
    await page.getByLabel('Sample line').fill(LOCKED_LINE);

    const captures = page.getByTestId('captures');
    await expect.poll(() => captures.locator('tbody tr').allTextContents()).toEqual(['pid16295', '$2db-01', '$3root']);
    expect(await page.getByTestId('tester-verdict').textContent()).toBe('matches');

    await page.getByLabel('Sample line').fill('snapshot 3f2a9c1e saved');
    await expect.poll(() => page.getByTestId('tester-verdict').textContent()).toBe('no match');
    expect(await captures.count()).toBe(0);
  });

  it('names the compile error of a lookahead pattern inline as you type, and keeps the input when saving is refused', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/settings/logscan/new');
    await page.getByLabel('Name', { exact: true }).fill('locked, unless stale');
    const pattern = page.getByLabel('Pattern (RE2)');
    await pattern.fill('already locked(?! by PID 1 )');
    await page.getByLabel('Sample line').fill(LOCKED_LINE);

    const error = page.locator('#rule-pattern-error');
    await expect.poll(() => error.textContent()).toContain('lookaround assertions');
    expect(await error.textContent()).toContain('not supported');
    expect(await pattern.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('tester-result').textContent()).toContain('does not compile');

    await page.getByRole('button', { name: 'Create rule' }).click();
    await expect.poll(() => page.getByTestId('rule-form-error').textContent()).toContain('Some fields need attention');
    expect(await pattern.inputValue()).toBe('already locked(?! by PID 1 )');
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('locked, unless stale');
    expect(page.url()).toMatch(/\/settings\/logscan\/new$/);

    // A pattern RE2 accepts clears the error and the rule is created.
    await pattern.fill('(?i)out of memory');
    await error.waitFor({ state: 'detached' });
    await page.getByLabel('Name', { exact: true }).fill('app: out of memory');
    await page.getByLabel('Severity').selectOption('CRITICAL');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.waitForURL(/\/settings\/logscan\/[0-9A-Z]+(\?created=1)?$/);
    await page.getByRole('heading', { name: 'app: out of memory' }).waitFor();
  });

  it('lists the built-in rules off, lets them be edited but not deleted, and deletes a rule of ours after asking', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/settings/logscan');
    const builtin = page.locator(`tr[data-rule="${LOCKED}"]`);
    await builtin.waitFor();
    expect(await builtin.textContent()).toContain('built-in');
    expect(await page.getByRole('switch', { name: `Enable ${LOCKED}` }).getAttribute('aria-checked')).toBe('false');
    expect(await page.getByRole('button', { name: `Delete ${LOCKED}` }).count()).toBe(0);
    expect(await page.getByRole('link', { name: `Edit ${LOCKED}` }).count()).toBe(1);

    await page.getByRole('button', { name: 'Delete app: out of memory' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete rule' }).click();
    await page.locator('tr[data-rule="app: out of memory"]').waitFor({ state: 'detached' });

    // Every built-in rule is off: the scanner panel says none is enabled, not "8 rules live".
    const rules = (await fleet.gql('{ logScanRules { builtin enabled } }')).logScanRules as Array<{ builtin: boolean; enabled: boolean }>;
    expect(rules.length).toBeGreaterThan(1);
    expect(rules.every((r) => r.builtin && !r.enabled)).toBe(true);
    await expect.poll(() => page.getByTestId('rules-enabled').textContent()).toBe(`${rules.length} global rules, 0 enabled`);
    expect(await page.getByTestId('scanner-stats').textContent()).not.toContain('live');
  });

  it('turns a matching agent line into an event that appears live on the events page and is counted by the stats panel', async () => {
    const settings = await browser.newPage();
    await signIn(settings, server.url, undefined, undefined, '/settings/logscan');
    await expect.poll(() => stat(settings, 'emitted').textContent()).toBe('0');
    await settings.getByRole('switch', { name: `Enable ${LOCKED}` }).click();
    await expect.poll(() => settings.getByRole('switch', { name: `Enable ${LOCKED}` }).getAttribute('aria-checked')).toBe('true');
    await expect.poll(() => settings.getByTestId('rules-enabled').textContent()).toMatch(/^\d+ global rules, 1 enabled$/);
    await waitFor(async () => (await fleet.gql('{ logScanRules { id enabled } }')).logScanRules.find((r: { id: string }) => r.id === LOCKED_ID)?.enabled, { what: 'the built-in rule to be on' });

    const events = await browser.newPage();
    const live = subscribed(events, 'eventLogged');
    await signIn(events, server.url, undefined, undefined, '/events?source=logscan');
    await live;
    await events.getByRole('status').filter({ hasText: 'No events match these filters' }).waitFor();
    // A marker on window survives only if the page is never reloaded.
    await events.evaluate(() => ((window as unknown as { marker: number }).marker = 7));

    sendLine('snapshot 3f2a9c1e saved', 'stdout');
    sendLine(LOCKED_LINE);

    const row = events.getByTestId('event-list').locator('tr', { hasText: 'already locked by PID 16295' });
    await row.waitFor();
    const text = await row.textContent();
    for (const part of [LOCKED, 'stderr', 'pid=16295', 'lockHost=db-01', 'warning', 'db-01']) expect(text).toContain(part);
    expect(await row.getAttribute('data-source')).toBe('logscan');
    expect(await events.getByTestId('event-list').locator('tbody tr').count()).toBe(1);
    expect(await events.getByTestId('events-total').textContent()).toBe('1 event');
    expect(await events.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(7);

    // The stats panel, open all along, counts the lines, the hit and the event.
    await expect.poll(() => stat(settings, 'emitted').textContent(), { timeout: 10_000 }).toBe('1');
    expect(await stat(settings, 'matched').textContent()).toBe('1');
    expect(Number(await stat(settings, 'lines').textContent())).toBeGreaterThanOrEqual(2);
    const perHost = settings.getByTestId('scanner-hosts').locator('tr[data-host="db-01"]');
    await expect.poll(() => perHost.locator('td').allTextContents()).toEqual(['db-01', '2', '1', '1', '0', '0']);

    // The same line again is inside the rule's cooldown: suppressed, no second event.
    sendLine(LOCKED_LINE);
    await expect.poll(() => stat(settings, 'suppressed').textContent(), { timeout: 10_000 }).toBe('1');
    expect(await events.getByTestId('event-list').locator('tbody tr').count()).toBe(1);
  });

  it('lets a host switch a global rule off for itself and add a rule of its own, from the host page', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, `/hosts/${db.id}`);
    const card = page.getByTestId('host-log-rules');
    const locked = card.locator(`tr[data-rule="${LOCKED}"]`);
    const scope = (row: typeof locked) => row.getByTestId('rule-scope').textContent();
    await locked.waitFor();
    expect(await scope(locked)).toBe('global');

    await page.getByRole('switch', { name: `Enable ${LOCKED} on db-01` }).click();
    await expect.poll(() => scope(locked)).toBe('overridden here');
    expect(await page.getByRole('switch', { name: `Enable ${LOCKED} on db-01` }).getAttribute('aria-checked')).toBe('false');
    const effective = await fleet.gql('query($h: ID!){ effectiveLogScanRules(hostId: $h){ name enabled hostId overridesRuleId } }', { h: db.id });
    expect(effective.effectiveLogScanRules.find((r: { name: string }) => r.name === LOCKED)).toEqual({ name: LOCKED, enabled: false, hostId: db.id, overridesRuleId: LOCKED_ID });
    // Every other host keeps the global rule on.
    expect((await fleet.gql('{ logScanRules { id enabled } }')).logScanRules.find((r: { id: string }) => r.id === LOCKED_ID).enabled).toBe(true);

    await page.getByRole('button', { name: 'Add host rule' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name', { exact: true }).fill('pg: too many connections');
    await dialog.getByLabel('Pattern (RE2)').fill('FATAL: +sorry, too many clients (?P<what>\\w+)');
    await dialog.getByLabel('Sample line').fill('FATAL:  sorry, too many clients already');
    await expect.poll(() => dialog.getByTestId('captures').locator('tbody tr').allTextContents()).toEqual(['whatalready']);
    await dialog.getByRole('button', { name: 'Create rule' }).click();
    await dialog.waitFor({ state: 'detached' });
    const own = card.locator('tr[data-rule="pg: too many connections"]');
    await own.waitFor();
    expect(await scope(own)).toBe('this host');

    // "Use global" drops the override: the rule applies to db-01 as everywhere.
    await locked.getByRole('button', { name: 'Use global' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Use global rule' }).click();
    await expect.poll(() => scope(locked)).toBe('global');
    expect(await page.getByRole('switch', { name: `Enable ${LOCKED} on db-01` }).getAttribute('aria-checked')).toBe('true');
  });

  it('shows rules and counters to a viewer without the switches', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, 'victor', 'viewer-password', '/settings/logscan');
    await page.locator(`tr[data-rule="${LOCKED}"]`).waitFor();
    expect(await page.getByRole('switch').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'New rule' }).count()).toBe(0);
    expect(await stat(page, 'emitted').textContent()).toBe('1');
    // a rule opens read-only, without the pattern tester (testLogScanRule is for admins)
    await page.goto(`${server.url}/settings/logscan/${LOCKED_ID}`);
    await page.getByText('Only admins can change log-scan rules or try patterns').waitFor();
    expect(await page.getByLabel('Sample line').count()).toBe(0);
  });

  it('keeps keyboard focus on a rule\'s switch while it saves', async () => {
    const made = await fleet.gql('mutation($i: LogScanRuleInput!){ createLogScanRule(input: $i){ id } }', { i: { name: 'focus: sample', pattern: 'never matches this', severity: 'INFO', enabled: false } });
    try {
      const page = await browser.newPage();
      await signIn(page, server.url, undefined, undefined, '/settings/logscan');
      const toggle = page.getByRole('switch', { name: 'Enable focus: sample' });
      await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('false');
      await toggle.focus();
      await page.keyboard.press('Space');
      await waitFor(async () => (await fleet.gql('{ logScanRules { id enabled } }')).logScanRules.find((r: { id: string }) => r.id === made.createLogScanRule.id)?.enabled, { what: 'the rule to be on' });
      await expect.poll(() => toggle.getAttribute('aria-busy')).not.toBe('true');
      expect(await toggle.getAttribute('aria-checked')).toBe('true');
      const focused = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
      expect(await focused()).toBe('Enable focus: sample');
      // Space again turns it back off: focus never left.
      await page.keyboard.press('Space');
      await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('false');
      await expect.poll(() => toggle.getAttribute('aria-busy')).not.toBe('true');
      expect(await focused()).toBe('Enable focus: sample');
    } finally {
      await fleet.gql('mutation($id: ID!){ deleteLogScanRule(id: $id) }', { id: made.createLogScanRule.id });
    }
  });

  it('writes screenshots of the log-rule editor, the rules and the events at both widths', async () => {
    for (const width of Object.values(WIDTHS)) {
      const page = await browser.newPage({ width });
      await signIn(page, server.url, undefined, undefined, `/settings/logscan/${LOCKED_ID}`);
      await page.getByLabel('Sample line').fill(LOCKED_LINE);
      await page.getByTestId('captures').waitFor();
      await screenshot(page, 'log-rule-editor');
      await page.goto(`${server.url}/settings/logscan`);
      await page.getByTestId('rule-list').waitFor();
      await screenshot(page, 'logscan');
      await page.goto(`${server.url}/events`);
      await page.getByTestId('event-list').waitFor();
      await screenshot(page, 'events');
    }
  });
});
