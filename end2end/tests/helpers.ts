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
