import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`.ci/run` installs it); a browser is never downloaded. */
export const chromiumPath = process.env.SIPHON_CHROMIUM ?? '/usr/bin/chromium';

const chromiumFlags = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Where the browser tests leave a screenshot of each view (git-ignored; the README shows two). */
export const screenshotFolder = join(process.cwd(), 'test-artifacts', 'screenshots');

export type TestBrowser = {
  context: BrowserContext;
  /** A new tab at `url`; its uncaught errors fail the test at `stop` (see pageErrors). */
  open: (url: string, options?: { width?: number; height?: number; colorScheme?: 'light' | 'dark' }) => Promise<Page>;
  /** Uncaught page errors and console errors seen so far, to assert on. */
  pageErrors: string[];
  screenshot: (page: Page, name: string) => Promise<void>;
  stop: () => Promise<void>;
};

/** Real Chromium, headless, with a fresh user-data dir that is removed at stop. */
export async function launchBrowser(): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'siphon-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumFlags,
    viewport: { width: 1280, height: 800 },
  });
  const pageErrors: string[] = [];
  return {
    context,
    pageErrors,
    open: async (url, options = {}) => {
      const page = await context.newPage();
      if (options.width || options.height) await page.setViewportSize({ width: options.width ?? 1280, height: options.height ?? 800 });
      if (options.colorScheme) await page.emulateMedia({ colorScheme: options.colorScheme });
      page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
      page.on('console', (message) => {
        // A refused request (a 4xx the test provoked on purpose) is logged by Chromium as a console error; those are the test's business.
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(`${page.url()}: ${message.text()}`);
      });
      await page.goto(url);
      return page;
    },
    screenshot: async (page, name) => {
      mkdirSync(screenshotFolder, { recursive: true });
      await page.screenshot({ path: join(screenshotFolder, `${name}.png`), fullPage: true });
    },
    stop: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
