// A phone-sized screen (390 px): every page fits its width — wide tables
// scroll inside their card, never the page — and a deep link opened without
// a session comes back after sign-in.
import { test, expect } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { SHOTS, USER, PASSWORD, allPages, hydrated, signIn } from './helpers';

mkdirSync(SHOTS, { recursive: true });

test.describe.configure({ mode: 'serial' });

test('at 390 px no page scrolls sideways', async ({ browser }) => {
  test.setTimeout(120_000);
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signIn(page);
  const pages = await allPages(page);
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
