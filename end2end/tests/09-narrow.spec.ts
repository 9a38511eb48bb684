// A phone-sized screen (390 px): every page fits its width — wide tables
// scroll inside their card, never the page — and a deep link opened without
// a session comes back after sign-in.
import { test, expect, Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { SHOTS, USER, PASSWORD, hydrated, signIn } from './helpers';

mkdirSync(SHOTS, { recursive: true });

test.describe.configure({ mode: 'serial' });

/** The first link on the page whose href matches `pattern`. */
async function firstHref(page: Page, pattern: RegExp): Promise<string | null> {
  const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href') || ''));
  return hrefs.find((h) => pattern.test(h)) ?? null;
}

test('at 390 px no page scrolls sideways', async ({ browser }) => {
  test.setTimeout(120_000);
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signIn(page);
  await page.goto('/apis');
  await hydrated(page);
  const pages = ['/apis', '/keys', '/usage-plans', '/dashboards', '/settings', '/account', '/users', '/audit'];
  const api = await firstHref(page, /^\/apis\/[a-z0-9]{10}$/);
  if (api) {
    pages.push(api);
    await page.goto(api);
    await hydrated(page);
    const stage = await firstHref(page, /^\/apis\/[a-z0-9]{10}\/stages\/[^/]+$/);
    if (stage) pages.push(stage, `${stage}/dashboard`, `${stage}/logs`);
  }
  await page.goto('/usage-plans');
  await hydrated(page);
  const plan = await firstHref(page, /^\/usage-plans\/[a-z0-9]+$/);
  if (plan) pages.push(plan);
  expect(pages.length).toBeGreaterThan(10);
  for (const path of pages) {
    await page.goto(path);
    await hydrated(page);
    const { scroll, client } = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    expect(scroll, `${path} is ${scroll} px wide on a ${client} px screen`).toBeLessThanOrEqual(client + 1);
  }
  await page.goto(pages.find((p) => p.endsWith('/logs')) ?? '/keys');
  await hydrated(page);
  await page.screenshot({ path: `${SHOTS}/90-narrow-logs.png`, fullPage: true });
  await page.goto('/keys');
  await hydrated(page);
  await page.screenshot({ path: `${SHOTS}/91-narrow-keys.png`, fullPage: true });
  await context.close();
});

test('sign-in returns to the page that was opened', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/dashboards?from=bookmark');
  await expect(page).toHaveURL(/\/login\?next=\/dashboards%3Ffrom%3Dbookmark$/);
  await hydrated(page);
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await expect(page).toHaveURL(/\/dashboards\?from=bookmark$/);
  await hydrated(page);
  await context.close();
});
