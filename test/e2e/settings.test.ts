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
  let fleet: Fleet;

  beforeAll(async () => {
    server = await startVigil();
    fleet = await Fleet.admin(server.url);
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

  it('lets an admin reset another user\'s password, with the server\'s error on the field', async () => {
    await fleet.createUser('paula', 'paula-old-password', 'OPERATOR');
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/settings/users');
    const row = page.getByRole('row', { name: /paula/ });
    await row.getByRole('button', { name: 'Reset the password of paula' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reset the password of paula' });
    const field = dialog.getByLabel('New password');
    await field.fill('short');
    await dialog.getByRole('button', { name: 'Reset password' }).click();
    await expect.poll(() => field.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.locator('#reset-password-error').textContent()).toBe('must be at least 8 characters');
    await field.fill('paula-new-password');
    await dialog.getByRole('button', { name: 'Reset password' }).click();
    await dialog.getByTestId('password-reset').waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    // There is no reset button for oneself (the user menu changes one's own password).
    expect(await page.getByRole('row', { name: /admin/ }).getByRole('button', { name: /Reset the password/ }).count()).toBe(0);

    const paula = await browser.newPage();
    await signIn(paula, server.url, 'paula', 'paula-new-password');
  });

  it('lets a user change their own password from the user menu', async () => {
    await fleet.createUser('carl', 'carl-old-password', 'VIEWER');
    const page = await browser.newPage();
    await signIn(page, server.url, 'carl', 'carl-old-password', '/alerts');
    await page.getByRole('button', { name: 'User menu for carl' }).click();
    await page.getByRole('menuitem', { name: 'Change password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change your password' });
    const current = dialog.getByLabel('Current password');
    const next = dialog.getByLabel('New password', { exact: true });
    const again = dialog.getByLabel('Repeat the new password');

    // A wrong current password is a field error, not a trip to the sign-in page.
    await current.fill('not-my-password');
    await next.fill('carl-new-password');
    await again.fill('carl-new-password');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => current.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.locator('#pw-current-error').textContent()).toBe('is not your current password');
    expect(new URL(page.url()).pathname).toBe('/alerts');

    // The server's own rule, on the field it names (newPassword).
    await current.fill('carl-old-password');
    await next.fill('short');
    await again.fill('short');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => next.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.locator('#pw-new-error').textContent()).toBe('must be at least 8 characters');
    expect(await current.getAttribute('aria-invalid')).toBe('false');

    await next.fill('carl-new-password');
    await again.fill('carl-new-passwrd');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => dialog.locator('#pw-confirm-error').textContent()).toBe('does not match the new password');

    await again.fill('carl-new-password');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    const changed = dialog.getByTestId('password-changed');
    await changed.waitFor();
    // The API ends the user's other sessions; whether it keeps this one is its call, and the dialog says which.
    if ((await changed.textContent())?.includes('this one too')) {
      await dialog.getByRole('button', { name: 'Sign in again' }).click();
      await page.waitForURL(/\/login\?password=changed/);
      await page.getByText('Your password was changed. Sign in with the new one.').waitFor();
    } else {
      await dialog.getByRole('button', { name: 'Done' }).click();
    }
    const other = await browser.newPage();
    await signIn(other, server.url, 'carl', 'carl-new-password');
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
