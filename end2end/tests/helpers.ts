// Shared steps for the browser tests.
import { expect, Page } from '@playwright/test';

export const USER = 'admin';
export const PASSWORD = 'correct horse battery staple';
export const SHOTS = 'artifacts';
/** Screenshots the docs show (docs/screenshots), rewritten by every run. */
export const DOC_SHOTS = '../docs/screenshots';

/** Waits until the WebAssembly client has taken over the server-rendered page. */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

/** Signs in as the admin, creating it first if this server is fresh. */
export async function signIn(page: Page) {
  await page.goto('/login');
  await hydrated(page);
  if (page.url().endsWith('/setup')) {
    await page.fill('#username', USER);
    await page.fill('#password', PASSWORD);
    await page.fill('#confirm', PASSWORD);
  } else if (page.url().endsWith('/login')) {
    await page.fill('#username', USER);
    await page.fill('#password', PASSWORD);
  } else {
    return;
  }
  await page.click('button[type=submit]');
  await expect(page).toHaveURL(/\/apis$/);
  await hydrated(page);
}

/** Every page of the console, with ids taken from what earlier tests
 *  created: the sections, an API that has a stage, that stage's pages, and a
 *  usage plan. */
export async function allPages(page: Page): Promise<string[]> {
  const hrefs = async () => page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href') || ''));
  const pages = ['/apis', '/keys', '/usage-plans', '/dashboards', '/settings', '/account', '/users', '/audit'];
  await page.goto('/apis');
  await hydrated(page);
  const apis = (await hrefs()).filter((h) => /^\/apis\/[a-z0-9]{10}$/.test(h));
  for (const api of apis) {
    await page.goto(api);
    await hydrated(page);
    const stage = (await hrefs()).find((h) => /^\/apis\/[a-z0-9]{10}\/stages\/[^/]+$/.test(h));
    if (stage) {
      pages.push(api, `${api}/models`, `${api}/responses`, stage, `${stage}/dashboard`, `${stage}/logs`);
      break;
    }
  }
  await page.goto('/usage-plans');
  await hydrated(page);
  const plan = (await hrefs()).find((h) => /^\/usage-plans\/[a-z0-9]+$/.test(h));
  if (plan) pages.push(plan);
  return pages;
}
