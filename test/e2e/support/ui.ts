import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD } from '../../helpers/server.ts';

/** Steps a user takes in the UI, and the waits that make live tests honest. */

export async function signIn(page: Page, baseUrl: string, username = 'admin', password = ADMIN_PASSWORD, path = '/'): Promise<void> {
  const onLogin = page.url().startsWith(`${baseUrl}/login`) && new URL(page.url()).searchParams.get('next') === path;
  if (!onLogin) await page.goto(`${baseUrl}/login?next=${encodeURIComponent(path)}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === path.split('?')[0]);
  // The app has loaded once the shell (main navigation) is there.
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/**
 * subscribed resolves once the page has sent a graphql-ws `subscribe` frame
 * whose query mentions `field`: events published before that are lost
 * (STACK-NOTES, subscription races). Call it before the navigation that
 * subscribes, await it before triggering the change.
 */
export function subscribed(page: Page, field: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${field}" subscription within ${timeoutMs} ms`)), timeoutMs);
    page.on('websocket', (ws) => {
      if (!ws.url().endsWith('/graphql')) return;
      ws.on('framesent', ({ payload }) => {
        const text = typeof payload === 'string' ? payload : payload.toString('utf8');
        if (text.includes('"type":"subscribe"') && text.includes(field)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  });
}
