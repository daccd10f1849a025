import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ServerHandle } from '../helpers/server.ts';
import { startSink, type Sink } from '../helpers/sink.ts';
import { launch, screenshot, WIDTHS, type Session } from './support/browser.ts';
import { Fleet } from './support/fleet.ts';
import { signIn } from './support/ui.ts';
import { guardEachTest, startVigil, stopVigil } from './support/vigil.ts';

/**
 * Event triggers: field errors that keep the input (a bad URL, a loopback URL
 * the SSRF guard refuses), a signed test send to a real sink, the payload
 * preview, and delete by typed name. The server allow-lists 127.0.0.1 only
 * (test/helpers/server.ts), so 127.0.0.2 is a loopback target it refuses.
 */
describe('event triggers', () => {
  let server: ServerHandle;
  let browser: Session;
  let sink: Sink;
  let sinkUrl: string;
  let secret = '';
  let triggerPath = '';

  beforeAll(async () => {
    sink = await startSink();
    sink.fallback = { status: 202 };
    sinkUrl = `${sink.url}/hooks/vigil-events`;
    server = await startVigil();
    const fleet = await Fleet.admin(server.url);
    await fleet.createUser('victor', 'viewer-password', 'VIEWER');
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await stopVigil(server);
    await sink?.close();
  });
  guardEachTest(() => ({ server, browser }));

  async function openTrigger(page: Page) {
    await signIn(page, server.url, undefined, undefined, triggerPath);
    await page.getByRole('heading', { name: 'Locked repositories' }).waitFor();
  }

  it('shows the field error for an invalid URL and for a loopback URL that is not allowed, keeping the input, then creates the trigger', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/settings/triggers');
    await page.getByRole('status').filter({ hasText: 'No event triggers' }).waitFor();
    await page.getByRole('link', { name: 'New trigger' }).first().click();

    await page.getByLabel('Name', { exact: true }).fill('Locked repositories');
    await page.getByRole('checkbox', { name: 'Critical' }).check();
    await page.getByRole('checkbox', { name: 'Warning' }).check();
    await page.getByRole('checkbox', { name: 'Log scan' }).check();
    await page.getByLabel('Message pattern (RE2)').fill('(?i)already locked');
    await page.getByRole('button', { name: 'Generate' }).click();
    secret = await page.getByLabel('Signing secret').inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    await page.getByLabel('URL', { exact: true }).fill('not a url');
    await page.getByRole('button', { name: 'Create trigger' }).click();

    const urlError = page.locator('#trigger-url-error');
    await expect.poll(() => urlError.textContent()).toContain('must be an http:// or https:// URL');
    expect(await page.getByLabel('URL', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('trigger-form-error').textContent()).toContain('Some fields need attention');

    const loopback = 'http://127.0.0.2:9/hooks/vigil-events';
    await page.getByLabel('URL', { exact: true }).fill(loopback);
    await page.getByRole('button', { name: 'Create trigger' }).click();
    await expect.poll(() => urlError.textContent()).toContain('127.0.0.2 is a loopback address');
    expect(await urlError.textContent()).toContain('VIGIL_ALLOW_PRIVATE_TARGETS');
    // Everything typed is still there.
    expect(await page.getByLabel('URL', { exact: true }).inputValue()).toBe(loopback);
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Locked repositories');
    expect(await page.getByLabel('Signing secret').inputValue()).toBe(secret);
    expect(await page.getByLabel('Message pattern (RE2)').inputValue()).toBe('(?i)already locked');
    expect(await page.getByRole('checkbox', { name: 'Critical' }).isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: 'Log scan' }).isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: 'Alert' }).isChecked()).toBe(false);

    await page.getByLabel('URL', { exact: true }).fill(sinkUrl);
    await page.getByRole('button', { name: 'Create trigger' }).click();
    await page.waitForURL(/\/settings\/triggers\/[0-9A-Z]+(\?created=1)?$/);
    triggerPath = new URL(page.url()).pathname;
    await page.getByRole('heading', { name: 'Locked repositories' }).waitFor();
    // The secret is stored, never shown back.
    expect(await page.getByLabel('Signing secret').inputValue()).toBe('');
    expect(await page.getByLabel('Signing secret').getAttribute('placeholder')).toBe('stored - leave blank to keep');
    expect(await page.getByRole('checkbox', { name: 'Warning' }).isChecked()).toBe(true);
    const preview = await page.getByTestId('payload-preview').textContent();
    expect(preview).toContain(`POST ${sinkUrl}`);
    for (const header of ['webhook-id:', 'webhook-timestamp:', 'webhook-signature: v1,']) expect(preview).toContain(header);
    expect(preview).toContain('"source": "logscan"');
    expect(preview).toContain('"name": "Locked repositories"');
    expect(preview).not.toContain(secret);
  });

  it('sends a test to the sink and shows ok with its status code; the sink got a Standard Webhooks signature that verifies', async () => {
    const page = await browser.newPage();
    await openTrigger(page);
    const before = sink.requests.length;
    await page.getByRole('button', { name: 'Send test' }).click();
    const result = page.getByTestId('test-result');
    await expect.poll(() => result.textContent()).toMatch(/ok · 202\s*\d+ ms/);
    expect(sink.requests.length).toBe(before + 1);

    const request = sink.requests.at(-1)!;
    expect(request.path).toBe('/hooks/vigil-events');
    expect(request.headers['content-type']).toBe('application/json');
    const id = request.headers['webhook-id'] as string;
    const timestamp = request.headers['webhook-timestamp'] as string;
    expect(id).toMatch(/^[0-9A-Z]{26}$/);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${request.body}`).digest('base64');
    expect(request.headers['webhook-signature']).toBe(`v1,${expected}`);
    const body = request.json();
    expect(body.type).toBe('event.test');
    expect(body.data.trigger.name).toBe('Locked repositories');
    expect(body.data.event.source).toBe('system');

    // The attempt is in the trigger's delivery log.
    const row = page.getByTestId('delivery-log').locator('tbody tr').first();
    await expect.poll(() => row.textContent()).toMatch(/event\.test.*ok · 202/);
  });

  it('names a message pattern RE2 refuses as you type, and tries one it accepts on a sample message', async () => {
    const page = await browser.newPage();
    await openTrigger(page);
    const pattern = page.getByLabel('Message pattern (RE2)');
    await pattern.fill('locked(?=by)');
    await expect.poll(() => page.locator('#trigger-pattern-error').textContent()).toContain('lookaround');
    expect(await pattern.getAttribute('aria-invalid')).toBe('true');

    await pattern.fill('(?i)already locked');
    await page.locator('#trigger-pattern-error').waitFor({ state: 'detached' });
    await page.getByLabel('Try a message').fill('unable to create lock in backend: repository is ALREADY LOCKED by PID 7');
    await expect.poll(() => page.getByTestId('tester-verdict').textContent()).toBe('matches');
    await page.getByLabel('Try a message').fill('backup finished');
    await expect.poll(() => page.getByTestId('tester-verdict').textContent()).toBe('no match');
  });

  it('says what the severity and source filters let through, as they are ticked', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/settings/triggers/new');
    const severityHint = page.locator('#trigger-severities-hint');
    const sourceHint = page.locator('#trigger-sources-hint');
    expect(await severityHint.textContent()).toBe('None selected: every severity.');
    expect(await sourceHint.textContent()).toBe('None selected: every source.');

    await page.getByRole('checkbox', { name: 'Warning' }).check();
    await expect.poll(() => severityHint.textContent()).toBe('Only Warning events.');
    await page.getByRole('checkbox', { name: 'Critical' }).check();
    await expect.poll(() => severityHint.textContent()).toBe('Only Critical or Warning events.');
    await page.getByRole('checkbox', { name: 'Log scan' }).check();
    await expect.poll(() => sourceHint.textContent()).toBe('Only events from Log scan.');
    await page.getByRole('checkbox', { name: 'Agent' }).check();
    await expect.poll(() => sourceHint.textContent()).toBe('Only events from Log scan or Agent.');

    await page.getByRole('checkbox', { name: 'Warning' }).uncheck();
    await page.getByRole('checkbox', { name: 'Critical' }).uncheck();
    await expect.poll(() => severityHint.textContent()).toBe('None selected: every severity.');
    // The chips say what they describe to assistive technology too.
    expect(await page.locator('#trigger-sources').getAttribute('aria-describedby')).toBe('trigger-sources-hint');
  });

  it('lists the trigger with its filters and last delivery, and writes screenshots of the editor at both widths', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/settings/triggers');
    const row = page.locator('tr[data-trigger="Locked repositories"]');
    await row.waitFor();
    const text = await row.textContent();
    for (const part of ['critical', 'warning', 'Log scan', '/(?i)already locked/', 'signed', 'enabled', 'ok · 202']) expect(text).toContain(part);

    for (const width of Object.values(WIDTHS)) {
      const editor = await browser.newPage({ width });
      await openTrigger(editor);
      await screenshot(editor, 'trigger-editor');
    }
  });

  it('shows triggers to a viewer read-only: listed, not editable', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, 'victor', 'viewer-password', '/settings/notifications');
    const tabs = page.getByRole('navigation', { name: 'Settings' });
    await tabs.getByRole('link', { name: 'Event triggers' }).click();
    await page.waitForURL(/\/settings\/triggers$/);
    const row = page.locator('tr[data-trigger="Locked repositories"]');
    await row.waitFor();
    expect(await row.getByRole('link').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'New trigger' }).count()).toBe(0);
    // the editor stays an admin's
    await page.goto(`${server.url}/settings/triggers/new`);
    await page.waitForURL(/\/settings\/notifications$/);
  });

  it('deletes the trigger only once its name is typed', async () => {
    const page = await browser.newPage();
    await openTrigger(page);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Delete trigger' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/to confirm/).fill('Locked');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/to confirm/).fill('Locked repositories');
    await confirm.click();
    await page.waitForURL(/\/settings\/triggers$/);
    await page.getByRole('status').filter({ hasText: 'No event triggers' }).waitFor();
  });
});
