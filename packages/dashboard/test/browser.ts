/// <reference lib="dom" />
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (its own browser download cannot reach the network
 * here). One browser per test file, a fresh context per scenario.
 */

export const CHROMIUM = process.env.AUDITKIT_CHROMIUM ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  // --no-sandbox: the test machine runs as root, where Chromium refuses its sandbox.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export interface Watched {
  context: BrowserContext;
  page: Page;
  /** Calls of `window.__pwned(...)`: the hook a hostile record would fire if any of it ran as code. */
  pwned: string[];
  /** Console errors and CSP violations the page reported. */
  problems: string[];
}

export async function openContext(browser: Browser, options: BrowserContextOptions = {}): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'Europe/Berlin', acceptDownloads: true, ...options });
  const pwned: string[] = [];
  await context.exposeBinding('__pwned', (_source, what: unknown) => void pwned.push(String(what)));
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  return { context, page, pwned, problems };
}

/** Waits until the list shows exactly `n` rows and reports that it finished loading. */
export async function waitForRows(page: Page, n: number): Promise<void> {
  try {
    await page.waitForFunction(
      (want) => document.querySelectorAll('#rows tr').length === want && !/Loading/.test(document.getElementById('status')!.textContent ?? ''),
      n,
    );
  } catch (err) {
    const seen = await page.evaluate(() => ({
      rows: document.querySelectorAll('#rows tr').length,
      status: document.getElementById('status')!.textContent,
      notice: document.getElementById('notice')!.hidden ? '' : document.getElementById('notice')!.textContent,
      url: location.href,
    }));
    throw new Error(`expected ${n} rows, the page shows ${JSON.stringify(seen)}`, { cause: err });
  }
}

export function rowTexts(page: Page, column: string): Promise<string[]> {
  return page.$$eval(`#rows td.${column}`, (cells) => cells.map((c) => c.textContent ?? ''));
}
