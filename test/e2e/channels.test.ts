import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ServerHandle } from '../helpers/server.ts';
import { launch, screenshot, WIDTHS, type Session } from './support/browser.ts';
import { Fleet } from './support/fleet.ts';
import { signIn } from './support/ui.ts';
import { guardEachTest, startVigil, stopVigil } from './support/vigil.ts';

/** Notification channels: create with field errors, send a test to a real sink, delete by typed name. */
describe('notification channels', () => {
  let server: ServerHandle;
  let browser: Session;
  let sink: http.Server;
  let sinkUrl: string;
  const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  let channelPath = '';
  let fleet: Fleet;

  beforeAll(async () => {
    sink = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hooks/vigil`;
    server = await startVigil();
    fleet = await Fleet.admin(server.url);
    await fleet.createUser('victor', 'viewer-password', 'VIEWER');
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await stopVigil(server);
    await new Promise((resolve) => sink?.close(resolve));
  });
  guardEachTest(() => ({ server, browser }));

  async function openChannel(page: Page) {
    await signIn(page, server.url, undefined, undefined, channelPath);
    await page.getByRole('heading', { name: 'On-call webhook' }).waitFor();
  }

  it('shows the field error for an invalid URL and keeps everything typed, then creates the channel', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/settings/notifications');
    await page.getByRole('status').filter({ hasText: 'No notification channels' }).waitFor();
    await page.getByRole('link', { name: 'New channel' }).first().click();

    await page.getByLabel('Name', { exact: true }).fill('On-call webhook');
    await page.getByLabel('URL', { exact: true }).fill('not a url');
    await page.getByLabel('Bearer token').fill('s3cret-token');
    await page.getByLabel('Custom header name').fill('X-Team');
    await page.getByLabel('Custom header value').fill('ops');
    await page.getByRole('button', { name: 'Create channel' }).click();

    const urlError = page.locator('#webhook-url-error');
    await expect.poll(() => urlError.textContent()).toContain('must be an http:// or https:// URL');
    expect(await page.getByLabel('URL', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('On-call webhook');
    expect(await page.getByLabel('Bearer token').inputValue()).toBe('s3cret-token');
    expect(await page.getByLabel('Custom header name').inputValue()).toBe('X-Team');
    expect(await page.getByLabel('URL', { exact: true }).inputValue()).toBe('not a url');

    await page.getByLabel('URL', { exact: true }).fill(sinkUrl);
    await page.getByRole('button', { name: 'Create channel' }).click();
    await page.waitForURL(/\/settings\/notifications\/[0-9A-Z]+(\?created=1)?$/);
    channelPath = new URL(page.url()).pathname;
    await page.getByRole('heading', { name: 'On-call webhook' }).waitFor();
    // "created" shows once: the param leaves the URL, so a reload does not claim it again.
    await page.getByTestId('created-chip').waitFor();
    await expect.poll(() => page.url()).toBe(`${server.url}${channelPath}`);
    expect(await page.getByTestId('created-chip').isVisible()).toBe(true);
    await page.reload();
    await page.getByRole('heading', { name: 'On-call webhook' }).waitFor();
    expect(await page.getByTestId('created-chip').count()).toBe(0);
    // The secret is stored, never shown back.
    expect(await page.getByLabel('Bearer token').inputValue()).toBe('');
    expect(await page.getByLabel('Bearer token').getAttribute('placeholder')).toBe('stored - leave blank to keep');
    const preview = await page.getByTestId('payload-preview').textContent();
    expect(preview).toContain(`POST ${sinkUrl}`);
    expect(preview).toContain('"host_name": "db-01"');
    expect(preview).toContain('X-Team');
  });

  it('checks an email channel field by field: a bad port locally, a bad sender on the server', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/settings/notifications/new');
    await page.getByRole('radio', { name: 'Email (SMTP)' }).check();
    await page.getByLabel('Name', { exact: true }).fill('Ops mail');
    await page.getByLabel('SMTP host').fill('127.0.0.1');
    await page.getByLabel('Port').fill('twenty-five');
    await page.getByLabel('From').fill('not-an-address');
    await page.getByLabel('To').fill('oncall@example.com');
    await page.getByRole('button', { name: 'Create channel' }).click();
    await expect.poll(() => page.locator('#smtp-port-error').textContent()).toContain('must be a number');

    await page.getByLabel('Port').fill('2525');
    await page.getByRole('button', { name: 'Create channel' }).click();
    await expect.poll(() => page.locator('#smtp-from-error').textContent()).toContain('email address');
    expect(await page.locator('#smtp-port-error').count()).toBe(0);
    expect(await page.getByLabel('To').inputValue()).toBe('oncall@example.com');
    expect(await page.getByLabel('SMTP host').inputValue()).toBe('127.0.0.1');
    expect(await page.getByTestId('payload-preview').textContent()).toContain('Subject: [vigil] [warning] db-01: backup_failed');
  });

  it('previews a failed backup as the warning it is, with ntfy\'s priority following the channel\'s default', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/settings/notifications/new?kind=ntfy');
    await page.getByLabel('Topic').fill('vigil-alerts');
    const preview = page.getByTestId('payload-preview');
    await expect.poll(() => preview.textContent()).toContain('POST https://ntfy.sh/vigil-alerts');
    // backup_failed is a warning (RULES.md): by severity, a warning goes out at 4.
    expect(await preview.textContent()).toContain('A warning backup_failed alert on db-01');
    expect(await preview.textContent()).toContain('Title: [warning] db-01 backup_failed');
    expect(await preview.textContent()).toMatch(/Priority: 4 \(warning/);
    expect(await preview.textContent()).not.toContain('critical backup_failed');
    await page.getByLabel('Priority').selectOption('LOW');
    await expect.poll(() => preview.textContent()).toMatch(/Priority: low \(the channel's default priority/);
  });

  it('writes screenshots of the channel editor at both widths', async () => {
    for (const width of Object.values(WIDTHS)) {
      const page = await browser.newPage({ width });
      await openChannel(page);
      await screenshot(page, 'channel-editor');
    }
  });

  it('sends a test to the sink and shows ok with its status code', async () => {
    const page = await browser.newPage();
    await openChannel(page);
    await page.getByRole('button', { name: 'Send test' }).click();
    const result = page.getByTestId('test-result');
    await expect.poll(() => result.textContent()).toMatch(/ok · 202/);
    expect(received.length).toBeGreaterThan(0);
    expect(received.at(-1)!.headers.authorization).toBe('Bearer s3cret-token');
  });

  it('clears the optional custom header name (with its stored value) and keeps the bearer token left blank', async () => {
    const page = await browser.newPage();
    await openChannel(page);
    expect(await page.getByLabel('Custom header name').inputValue()).toBe('X-Team');
    await page.getByLabel('Custom header name').fill('');
    const headerValue = page.locator('.field', { has: page.getByLabel('Custom header value') });
    await headerValue.getByLabel('Remove the stored value').check();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

    await page.reload();
    await page.getByRole('heading', { name: 'On-call webhook' }).waitFor();
    expect(await page.getByLabel('Custom header name').inputValue()).toBe('');
    expect(await page.getByLabel('Custom header value').getAttribute('placeholder')).toBe('');
    // The bearer token was left blank: still stored.
    expect(await page.getByLabel('Bearer token').getAttribute('placeholder')).toBe('stored - leave blank to keep');
    expect(await page.getByTestId('payload-preview').textContent()).not.toContain('X-Team');
  });

  it('deletes the channel only once its name is typed', async () => {
    const page = await browser.newPage();
    await openChannel(page);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Delete channel' });
    // Deliveries cascade with the channel: the dialog says so.
    expect(await dialog.textContent()).toContain('Its past deliveries stay in the delivery log.');
    expect(await dialog.textContent()).not.toContain('stays');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/to confirm/).fill('On-call');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/to confirm/).fill('On-call webhook');
    expect(await confirm.isDisabled()).toBe(false);
    await confirm.click();
    await page.waitForURL(/\/settings\/notifications$/);
    await page.getByRole('status').filter({ hasText: 'No notification channels' }).waitFor();
  });

  it('shows a viewer a channel as text: values, secrets as set or not set, and no form controls', async () => {
    const d = await fleet.gql('mutation($i: ChannelInput!){ createChannel(input: $i){ id } }', {
      i: { name: 'Read-only hook', enabled: true, webhook: { url: `${sinkUrl}?team=ops`, headerName: 'X-Team', headerValue: 'viewer-cannot-see' } },
    });
    const page = await browser.newPage();
    await signIn(page, server.url, 'victor', 'viewer-password', `/settings/notifications/${d.createChannel.id}`);
    await page.getByRole('heading', { name: 'Read-only hook' }).waitFor();
    const facts = page.getByTestId('channel-facts');
    await facts.waitFor();
    const editor = page.locator('section', { has: page.getByRole('heading', { name: 'Read-only hook' }) });
    expect(await editor.getByRole('textbox').count()).toBe(0);
    expect(await editor.getByRole('checkbox').count()).toBe(0);
    expect(await editor.getByRole('combobox').count()).toBe(0);
    expect(await editor.getByRole('button').count()).toBe(0);
    expect(await editor.textContent()).not.toContain('leave blank to keep');
    expect(await editor.textContent()).not.toContain('Remove the stored value');
    const fact = async (name: string) => (await facts.locator('dt', { hasText: name }).locator('xpath=following-sibling::dd[1]').textContent())?.trim();
    expect(await fact('URL')).toBe(`${sinkUrl}?team=ops`);
    expect(await fact('Bearer token')).toBe('not set');
    expect(await fact('Custom header')).toBe('X-Team');
    expect(await fact('Header value')).toBe('set');
    expect(await fact('State')).toBe('enabled');
    expect(await facts.textContent()).not.toContain('viewer-cannot-see');
    await screenshot(page, 'channel-viewer');
  });

  it('pages through the delivery log and narrows it to one channel', async () => {
    const make = async (name: string) =>
      (await fleet.gql('mutation($i: ChannelInput!){ createChannel(input: $i){ id } }', { i: { name, enabled: true, webhook: { url: sinkUrl } } })).createChannel.id as string;
    const busy = await make('Busy hook');
    const quiet = await make('Quiet hook');
    const before = (await fleet.gql('{ deliveries(first: 1){ totalCount } }')).deliveries.totalCount as number;
    for (let i = 0; i < 55; i++) await fleet.gql('mutation($id: ID!){ testChannel(id: $id){ id } }', { id: busy });
    for (let i = 0; i < 5; i++) await fleet.gql('mutation($id: ID!){ testChannel(id: $id){ id } }', { id: quiet });
    const total = before + 60;

    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/settings/notifications');
    const log = page.getByTestId('delivery-log');
    await log.waitFor();
    expect(await log.locator('tbody tr').count()).toBe(50);
    expect(await page.getByText(`Showing the latest 50 of ${total}.`).count()).toBe(1);

    await page.getByRole('button', { name: 'Load older deliveries' }).click();
    await expect.poll(() => log.locator('tbody tr').count()).toBe(total);
    expect(await page.getByRole('button', { name: 'Load older deliveries' }).count()).toBe(0);
    expect(await page.getByText(/Showing the latest/).count()).toBe(0);

    await page.getByLabel('Channel', { exact: true }).selectOption({ label: 'Quiet hook' });
    await page.waitForURL((url) => url.searchParams.get('channel') === quiet);
    await expect.poll(() => log.locator('tbody tr').count()).toBe(5);
    expect(new Set(await log.locator('tbody tr td:nth-child(2)').allTextContents())).toEqual(new Set(['Quiet hook']));

    await page.getByLabel('Channel', { exact: true }).selectOption({ label: 'Busy hook' });
    await page.waitForURL((url) => url.searchParams.get('channel') === busy);
    await expect.poll(() => log.locator('tbody tr').count()).toBe(50);
    expect(await page.getByText('Showing the latest 50 of 55.').count()).toBe(1);
    await page.getByRole('button', { name: 'Load older deliveries' }).click();
    await expect.poll(() => log.locator('tbody tr').count()).toBe(55);
    expect(new Set(await log.locator('tbody tr td:nth-child(2)').allTextContents())).toEqual(new Set(['Busy hook']));
    await screenshot(page, 'delivery-log');
  });

  it('clears an email channel\'s username and keeps its password left blank', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/settings/notifications/new');
    await page.getByRole('radio', { name: 'Email (SMTP)' }).check();
    await page.getByLabel('Name', { exact: true }).fill('Ops mail');
    await page.getByLabel('SMTP host').fill('127.0.0.1');
    await page.getByLabel('Port').fill('2525');
    await page.getByLabel('Username').fill('vigil');
    await page.getByLabel('Password').fill('mail-s3cret');
    await page.getByLabel('From').fill('vigil@example.com');
    await page.getByLabel('To').fill('oncall@example.com');
    await page.getByRole('button', { name: 'Create channel' }).click();
    await page.waitForURL(/\/settings\/notifications\/[0-9A-Z]+(\?created=1)?$/);
    await page.getByRole('heading', { name: 'Ops mail' }).waitFor();
    expect(await page.getByLabel('Username').inputValue()).toBe('vigil');

    await page.getByLabel('Username').fill('');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

    await page.reload();
    await page.getByRole('heading', { name: 'Ops mail' }).waitFor();
    expect(await page.getByLabel('Username').inputValue()).toBe('');
    expect(await page.getByLabel('Password').getAttribute('placeholder')).toBe('stored - leave blank to keep');
  });
});
