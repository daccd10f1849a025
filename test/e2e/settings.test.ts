import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerHandle } from '../helpers/server.ts';
import { launch, screenshot, WIDTHS, type Session } from './support/browser.ts';
import { Fleet } from './support/fleet.ts';
import { signIn } from './support/ui.ts';
import { guardEachTest, startVigil, stopVigil } from './support/vigil.ts';

/** Users & API tokens for admins only, and the audit log of what they did. */
describe('settings', () => {
  let server: ServerHandle;
  let browser: Session;

  beforeAll(async () => {
    server = await startVigil();
    const fleet = await Fleet.admin(server.url);
    await fleet.createUser('victor', 'viewer-password', 'VIEWER');
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await stopVigil(server);
  });
  guardEachTest(() => ({ server, browser }));

  it('lets an admin add a user, issue an API token shown once, and revoke it', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/settings/users');
    await page.getByRole('button', { name: 'Add user' }).click();
    const add = page.getByRole('dialog');
    await add.getByLabel('Username').fill('olivia');
    await add.getByLabel('Password').fill('operator-password');
    await add.getByLabel('Role').selectOption('OPERATOR');
    await add.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('row', { name: /olivia/ }).waitFor();
    expect(await page.getByLabel('Role of olivia').inputValue()).toBe('OPERATOR');

    await page.getByRole('button', { name: 'New token' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('grafana');
    await dialog.getByRole('button', { name: 'Create token' }).click();
    const token = await dialog.getByLabel('Token', { exact: true }).inputValue();
    expect(token.length).toBeGreaterThan(20);
    await dialog.getByRole('button', { name: 'Done' }).click();
    const row = page.getByRole('row', { name: /grafana/ });
    await row.waitFor();
    expect(await row.textContent()).not.toContain(token);

    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await expect.poll(() => row.textContent()).toContain('revoked');
    for (const width of Object.values(WIDTHS)) {
      await page.setViewportSize({ width, height: 900 });
      await screenshot(page, 'users');
    }
  });

  it('keeps users and tokens from a viewer', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, 'victor', 'viewer-password', '/settings/notifications');
    expect(await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Users & API tokens' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'New channel' }).count()).toBe(0);
    await page.goto(`${server.url}/settings/users`);
    await page.waitForURL(/\/settings\/notifications$/);
  });

  it('shows who did what in the audit log', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/settings/audit');
    const created = page.getByRole('row', { name: /user\.create/ }).first();
    await created.waitFor();
    expect(await created.textContent()).toContain('admin');
    await page.getByRole('link', { name: 'api_token.revoke' }).first().click();
    await page.waitForURL(/action=api_token\.revoke/);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await screenshot(page, 'audit');
  });
});
