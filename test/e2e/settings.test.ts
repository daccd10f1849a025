import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { gqlOk, login } from '../helpers/gql.ts';
import type { ServerHandle } from '../helpers/server.ts';
import { FakeAgent } from './support/agent.ts';
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

  it('asks before making someone an admin or demoting them, and says when a role is saved', async () => {
    await fleet.createUser('rita', 'rita-password', 'VIEWER');
    const roleOf = async (name: string) => ((await fleet.gql('{ users { username role } }')).users as Array<{ username: string; role: string }>).find((u) => u.username === name)?.role;
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/settings/users');
    const row = page.getByRole('row', { name: /rita/ });
    const select = page.getByLabel('Role of rita');
    const saved = row.getByTestId('role-saved');

    // Viewer to operator: no admin rights, nothing taken away - saved at once.
    await select.selectOption('OPERATOR');
    await expect.poll(() => saved.textContent()).toBe('saved · Operator');
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await roleOf('rita')).toBe('OPERATOR');

    // To admin: asked first; cancelling keeps the stored role, in the select too.
    await select.selectOption('ADMIN');
    const ask = page.getByRole('dialog', { name: 'Make rita an admin?' });
    await ask.waitFor();
    expect(await saved.count()).toBe(0);
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    expect(await select.inputValue()).toBe('OPERATOR');
    expect(await roleOf('rita')).toBe('OPERATOR');

    await select.selectOption('ADMIN');
    await ask.waitFor();
    await screenshot(page, 'role-confirm');
    await ask.getByRole('button', { name: 'Make an admin' }).click();
    await expect.poll(() => saved.textContent()).toBe('saved · Admin');
    await screenshot(page, 'role-saved');
    expect(await roleOf('rita')).toBe('ADMIN');

    // A demotion asks too.
    await select.selectOption('VIEWER');
    const demote = page.getByRole('dialog', { name: 'Make rita a viewer?' });
    await demote.waitFor();
    expect(await demote.textContent()).toContain('rita is an admin now.');
    await demote.getByRole('button', { name: 'Make a viewer' }).click();
    await expect.poll(() => saved.textContent()).toBe('saved · Viewer');
    expect(await roleOf('rita')).toBe('VIEWER');
    expect(await select.inputValue()).toBe('VIEWER');
  });

  it('opens a dialog on its first field, closes it on Escape and gives focus back', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/settings/users');
    const focusedId = () => page.evaluate(() => document.activeElement?.id ?? '');
    const focusedText = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');

    const add = page.getByRole('button', { name: 'Add user' });
    await add.click();
    await page.getByRole('dialog', { name: 'Add a user' }).waitFor();
    await expect.poll(focusedId).toBe('new-username');
    await page.keyboard.type('typed-at-once');
    expect(await page.getByRole('dialog').getByLabel('Username').inputValue()).toBe('typed-at-once');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await expect.poll(focusedText).toBe('Add user');

    // A dialog without fields opens on its first control (Cancel), not on the close button.
    await page.getByRole('row', { name: /victor/ }).getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog', { name: 'Remove victor?' }).waitFor();
    await expect.poll(focusedText).toBe('Cancel');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await expect.poll(focusedText).toBe('Remove');
  });

  it('names what audit entries touched, shows their detail as key: value, and filters by actor', async () => {
    await fleet.createUser('audra', 'audra-password', 'ADMIN');
    const audra = await login(server.url, 'audra', 'audra-password');
    await gqlOk(server.url, 'mutation($i: ChannelInput!){ createChannel(input: $i){ id } }', { i: { name: 'Audra hook', enabled: false, webhook: { url: 'https://hooks.example.com/audra' } } }, { cookie: audra });
    const host = await fleet.enroll('vault-07');
    const agent = await FakeAgent.connect(server.url, host.token, 'vault-07.internal');
    await fleet.failJob(agent, host.id, { error: 'Fatal: unable to open config file' });
    await agent.close();

    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/settings/audit');
    const log = page.getByTestId('audit-log');
    const entry = (page: Page, action: string) => log.locator(`tr[data-action="${action}"]`).first();
    const cells = async (page: Page, action: string) => (await entry(page, action).locator('td').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());

    await entry(page, 'alert.raise').waitFor();
    const raise = await cells(page, 'alert.raise');
    expect(raise[3]).toBe('alert backup failed on vault-07');
    expect(raise[4]).toBe('dedup key: manual');
    const run = await cells(page, 'job.run');
    expect(run[3]).toBe('job backup on vault-07');
    // scheduleId was null: left out, like every empty value; no raw host id.
    expect(run[4]).toBe('started by: user');
    const enroll = await cells(page, 'host.enroll');
    expect(enroll[3]).toBe('host vault-07');
    expect(enroll[4]).toBe('always on: yes');
    const created = await cells(page, 'channel.create');
    expect(created[3]).toBe('channel Audra hook');
    expect(created[4]).toBe('kind: webhook · enabled: no');
    const texts = (await log.locator('tbody').textContent()) ?? '';
    expect(texts).not.toMatch(/=null|hostId|dedupKey=/);
    await screenshot(page, 'audit-readable');

    // The actor filter: typed, then by clicking an actor.
    await page.getByLabel('Actor').fill('audra');
    await page.getByLabel('Actor').press('Enter');
    await page.waitForURL((url) => url.searchParams.get('actor') === 'audra');
    await expect.poll(async () => [...new Set(await log.locator('tbody tr td:nth-child(2)').allTextContents())]).toEqual(['audra']);
    // audra signed in, then created a channel (admins see sign-in entries).
    expect(new Set(await log.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action'))))).toEqual(new Set(['auth.login', 'channel.create']));
    expect(await page.getByTestId('audit-total').textContent()).toContain('2 entries');

    await page.getByRole('link', { name: 'Show all' }).first().click();
    await page.waitForURL((url) => !url.searchParams.has('actor'));
    await entry(page, 'alert.raise').waitFor();
    const system = (await entry(page, 'alert.raise').locator('td').nth(1).textContent())!.trim();
    await entry(page, 'alert.raise').locator('td').nth(1).getByRole('link').click();
    await page.waitForURL((url) => url.searchParams.get('actor') === system);
    await expect.poll(async () => [...new Set(await log.locator('tbody tr td:nth-child(2)').allTextContents())]).toEqual([system]);
    expect(await page.getByLabel('Actor').inputValue()).toBe(system);
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
