// The console's first run and sign-in, in a real browser: setup once, log out,
// log in, and move through every section without a page reload.
import { test, expect } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { USER, PASSWORD, SHOTS, hydrated, signIn } from './helpers';

mkdirSync(SHOTS, { recursive: true });

const SECTIONS = [
  { link: 'APIs', path: '/apis', heading: 'APIs', empty: 'No APIs yet' },
  { link: 'API keys', path: '/keys', heading: 'API keys', empty: 'No API keys yet' },
  { link: 'Usage plans', path: '/usage-plans', heading: 'Usage plans', empty: 'No usage plans yet' },
  { link: 'Dashboards', path: '/dashboards', heading: 'Dashboards', empty: 'No deployed stages yet' },
  { link: 'Settings', path: '/settings', heading: 'Settings', empty: 'Signed in as' },
];

test.describe.configure({ mode: 'serial' });

test('first run shows setup, validates, and creates the admin', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/setup$/);
  await hydrated(page);
  await page.screenshot({ path: `${SHOTS}/01-setup.png` });

  // A server-side rule, shown next to its field without a reload.
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await page.fill('#confirm', PASSWORD + 'x');
  await page.click('button[type=submit]');
  await expect(page.getByText('The two passwords do not match.')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/02-setup-error.png` });

  await page.fill('#confirm', PASSWORD);
  await page.click('button[type=submit]');
  await expect(page).toHaveURL(/\/apis$/);
  await expect(page.locator('#current-user')).toHaveText(/admin/);
  await expect(page.getByRole('heading', { name: 'No APIs yet' })).toBeVisible();
});

test('setup cannot be used again', async ({ page }) => {
  await page.goto('/setup');
  await expect(page).toHaveURL(/\/login$/);
});

test('log out, wrong password, log in', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.fill('#username', USER);
  await page.fill('#password', 'not the password');
  await page.click('button[type=submit]');
  await expect(page.getByText('Wrong username or password.')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/03-login-error.png` });

  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await expect(page).toHaveURL(/\/apis$/);
  await hydrated(page);

  await page.click('#logout');
  await expect(page).toHaveURL(/\/login$/);
  // The session is gone: protected pages send us back to sign in.
  await page.goto('/settings');
  await expect(page).toHaveURL(/\/login\?next=\/settings$/);
});

test('every section renders and navigation stays client-side', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  // Each page is its own wasm chunk (lazy routes): a page's code is fetched
  // when it is first shown, not with the console's first load.
  const wasm: string[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('.wasm')) wasm.push(r.url());
  });
  await signIn(page);
  expect(wasm.some((u) => u.includes('split___apis_route_view'))).toBe(true);
  expect(wasm.some((u) => u.includes('split___keys_route_view'))).toBe(false);

  // A value on window survives only if no document load happens.
  await page.evaluate(() => ((window as any).__sameDocument = 'yes'));
  let documentRequests = 0;
  page.on('request', (r) => {
    if (r.resourceType() === 'document') documentRequests++;
  });

  for (const s of SECTIONS) {
    await page.getByRole('link', { name: s.link, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`${s.path}$`));
    await expect(page.getByRole('heading', { level: 1, name: s.heading })).toBeVisible();
    await expect(page.getByText(s.empty)).toBeVisible();
    await expect(page.getByRole('link', { name: s.link, exact: true })).toHaveAttribute('aria-current', 'page');
    await page.screenshot({ path: `${SHOTS}/10-section-${s.path.slice(1)}.png` });
  }
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe('yes');
  expect(documentRequests).toBe(0);
  expect(wasm.some((u) => u.includes('split___keys_route_view'))).toBe(true);

  // Settings: the gateway URL can be copied.
  const gateway = process.env.APIGW_GATEWAY_URL!;
  await expect(page.getByText(gateway)).toBeVisible();
  const copy = page.locator('.copy-value', { hasText: gateway }).getByRole('button');
  await copy.click();
  await expect(copy).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(gateway);
});

test('dark surroundings render readably', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1360, height: 860 } });
  const page = await context.newPage();
  await signIn(page);
  const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  expect(bg).toBe('rgb(11, 16, 32)');
  await page.screenshot({ path: `${SHOTS}/20-dark-apis.png` });
  await context.close();
});
