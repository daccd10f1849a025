import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../../helpers/server.ts';

/**
 * Debian's chromium driven by playwright-core. Every page fails its test on a
 * console error or an uncaught exception (collected, asserted in afterEach).
 */
export const SCREENSHOTS = path.join(ROOT, 'test', 'e2e', 'screenshots');
export const WIDTHS = { desktop: 1280, mobile: 390 } as const;

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface Session {
  browser: Browser;
  /** errors seen on any page so far (console errors, page errors) */
  errors: string[];
  newPage(opts?: { width?: number; colorScheme?: 'light' | 'dark'; timezoneId?: string; locale?: string }): Promise<Page>;
  close(): Promise<void>;
}

export async function launch(): Promise<Session> {
  // launch() runs chromium in a fresh temporary profile of its own, removed on close.
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  const errors: string[] = [];
  const contexts: BrowserContext[] = [];
  return {
    browser,
    errors,
    /** newPage opens a fresh context (its own cookies), so two pages can be two users. */
    async newPage(opts = {}) {
      const context = await browser.newContext({
        viewport: { width: opts.width ?? WIDTHS.desktop, height: 900 },
        colorScheme: opts.colorScheme ?? 'light',
        ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}),
        ...(opts.locale ? { locale: opts.locale } : {}),
      });
      contexts.push(context);
      const page = await context.newPage();
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(`console: ${msg.text()} (${page.url()})`);
      });
      page.on('pageerror', (err) => errors.push(`pageerror: ${err.message} (${page.url()})`));
      page.setDefaultTimeout(15_000);
      return page;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
    },
  };
}

/** screenshot writes <name>-<width>.png into test/e2e/screenshots (git-ignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const width = page.viewportSize()?.width ?? 0;
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
}
