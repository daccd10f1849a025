import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, type ServerHandle } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { launch, type Session } from './support/browser.ts';
import { Fleet } from './support/fleet.ts';
import { signIn } from './support/ui.ts';
import { guardEachTest, startVigil, stopVigil } from './support/vigil.ts';

describe('signing in', () => {
  let server: ServerHandle;
  let browser: Session;

  beforeAll(async () => {
    server = await startVigil();
    const fleet = await Fleet.admin(server.url);
    await fleet.enroll('db-01', { tags: ['prod'] });
    await fleet.enroll('laptop-ana', { alwaysOn: false, tags: ['laptop'] });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await stopVigil(server);
  });
  guardEachTest(() => ({ server, browser }));

  it('lists the hosts on the dashboard after signing in', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForURL(/\/login\?next=/);
    await signIn(page, server.url);
    const table = page.getByTestId('host-table');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    expect(await table.locator('tr[data-host="db-01"]').textContent()).toContain('never seen');
  });

  it.each(['/%5Cevil.invalid/phish', '/%09/evil.invalid', '//evil.invalid', 'https://evil.invalid/'])('stays on this site after signing in with next=%s', async (next) => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/login?next=${next}`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(new URL(page.url()).origin).toBe(new URL(server.url).origin);
    expect(new URL(page.url()).pathname).toBe('/');
  });

  it('says so when the password is wrong, and stays on the login page', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('login-error').textContent()).toContain('Wrong username or password');
    expect(new URL(page.url()).pathname).toBe('/login');
  });

  it('shows the role in the user menu and signs out from it', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url);
    await page.getByRole('button', { name: /User menu/ }).click();
    await expect.poll(() => page.getByTestId('user-role').textContent()).toBe('Admin');
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    await page.goto(`${server.url}/alerts`);
    await page.waitForURL(/\/login\?next=%2Falerts/);
  });

  const focusedId = (page: import('playwright-core').Page) => page.evaluate(() => document.activeElement?.id ?? '');

  it('greets a first visit with a plain form and the username field focused, not "your session ended"', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForURL(/\/login\?next=%2F$/);
    // The focus is set once the page has decided what to say.
    await expect.poll(() => focusedId(page)).toBe('username');
    expect(await page.getByTestId('session-ended').count()).toBe(0);
    expect(await page.locator('text=Your session ended').count()).toBe(0);
    await page.keyboard.type('admin');
    expect(await page.getByLabel('Username').inputValue()).toBe('admin');
  });

  it('says nothing about an ended session after signing out on purpose', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url);
    await page.getByRole('button', { name: /User menu/ }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login$/);
    await expect.poll(() => focusedId(page)).toBe('username');
    await page.goto(`${server.url}/alerts`);
    await page.waitForURL(/\/login\?next=%2Falerts$/);
    await expect.poll(() => focusedId(page)).toBe('username');
    expect(await page.getByTestId('session-ended').count()).toBe(0);
  });

  it('says the session ended when a reload finds it gone', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/alerts');
    await page.context().clearCookies();
    await page.reload();
    await page.waitForURL(/\/login\?next=%2Falerts$/);
    await page.getByTestId('session-ended').waitFor();
    await expect.poll(() => focusedId(page)).toBe('username');
  });

  it('sends an expired session back to the login page, then where it was', async () => {
    const page = await browser.newPage();
    await signIn(page, server.url, undefined, undefined, '/alerts');
    await page.context().clearCookies();
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.waitForURL(/\/login\?next=%2F/);
    await waitFor(async () => (await page.locator('text=Your session ended').count()) === 1, { what: 'the session-ended note' });
  });
});
