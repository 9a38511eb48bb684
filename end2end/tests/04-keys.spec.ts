// API keys and usage plans, end to end: a method that needs a key, a key
// whose value is shown once, a plan with a low throttle on the API's stage,
// calls through the gateway (403 without the key, 200 with it, 429 when too
// fast), the usage that shows up in the console, and disabling the key.
import { test, expect, Page, APIRequestContext } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { SHOTS, hydrated, signIn } from './helpers';

mkdirSync(SHOTS, { recursive: true });

test.describe.configure({ mode: 'serial' });

/** Goes to a console section through the sidebar, without a page load. */
async function openSection(page: Page, link: string, path: RegExp) {
  await page.locator('.sidebar .nav-link', { hasText: link }).click();
  await expect(page).toHaveURL(path);
}

/** Collects uncaught errors and console errors (a failed hydration shows up here). */
function watchForProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(m.text());
  });
  return problems;
}

async function call(request: APIRequestContext, url: string, key?: string) {
  const res = await request.get(url, { headers: key ? { 'x-api-key': key } : {} });
  return { status: res.status(), body: await res.text() };
}

test('keys, plans, throttling and usage', async ({ page, context, request }) => {
  test.setTimeout(120_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const problems = watchForProblems(page);
  await signIn(page);

  // An API whose GET / needs a key, deployed to dev.
  await page.goto('/apis');
  await hydrated(page);
  await page.click('#new-api');
  await page.fill('#api-name', 'metered');
  await page.click('#create-api-form button[type=submit]');
  await expect(page).toHaveURL(/\/apis\/[a-z0-9]{10}$/);
  const apiId = page.url().split('/').pop()!;
  await page.selectOption('#new-verb', 'GET');
  await page.click('#add-method-form button[type=submit]');
  await page.locator('#integration-type label', { hasText: 'Mock' }).click();
  await page.fill('#mock-body', '{"metered": true}');
  await page.check('#api-key-required');
  await page.click('#save-method');
  await expect(page.locator('#saved')).toBeVisible();
  await expect(page.locator('#api-key-required')).toBeChecked();
  await page.click('#deploy-button');
  await expect(page.locator('#deploy-new-stage')).toHaveValue('dev');
  await page.click('#deploy-submit');
  await expect(page).toHaveURL(/\/stages\/dev$/);
  const url = `${process.env.APIGW_GATEWAY_URL}/${apiId}/dev/`;

  // Without any key the method refuses, as AWS does.
  const anonymous = await call(request, url);
  expect(anonymous.status).toBe(403);
  expect(JSON.parse(anonymous.body)).toEqual({ message: 'Forbidden' });

  // /keys starts empty; the form checks its rules before a round trip.
  await openSection(page, 'API keys', /\/keys$/);
  await expect(page.getByRole('heading', { name: 'No API keys yet' })).toBeVisible();
  await page.click('#new-key');
  await page.click('#create-key');
  await expect(page.locator('#create-key-form')).toContainText('name is required.');
  await page.fill('#key-name', 'mobile-app');
  await page.fill('#key-description', 'The iOS and Android apps');
  await page.fill('#key-value', 'too short');
  await expect(page.locator('#create-key-form')).toContainText('value must be 20 to 128 visible ASCII characters');
  await expect(page.locator('#create-key')).toBeDisabled();
  await page.screenshot({ path: `${SHOTS}/59-key-form-error.png` });
  await page.fill('#key-value', '');
  await page.click('#create-key');

  // The value, once, with a copy button.
  const created = page.locator('#key-value-created');
  await expect(created).toBeVisible();
  await expect(page.locator('.key-created')).toContainText('Copy it now: apigw stores only a hash and cannot show it again.');
  const key = (await created.locator('code').textContent())!.trim();
  expect(key.length).toBeGreaterThanOrEqual(20);
  await created.getByRole('button', { name: 'Copy' }).click();
  await expect(created.getByRole('button')).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
  const row = page.locator('#key-table tr', { hasText: 'mobile-app' });
  await expect(row.locator('.key-status')).toHaveText('Enabled');
  await expect(row).toContainText('none yet');
  const keyId = (await row.getAttribute('data-key-id'))!;
  await page.screenshot({ path: `${SHOTS}/60-key-created.png`, fullPage: true });

  // An enabled key in no plan still opens nothing.
  expect((await call(request, url, key)).status).toBe(403);

  // A plan with a low throttle on metered/dev.
  await openSection(page, 'Usage plans', /\/usage-plans$/);
  await expect(page.getByRole('heading', { name: 'No usage plans yet' })).toBeVisible();
  await page.click('#new-plan');
  await expect(page.locator('#no-stages')).toBeVisible();
  await page.fill('#plan-name', 'bronze');
  await page.fill('#plan-description', 'Partners on the free tier');
  await page.check('#plan-throttle');
  await page.fill('#plan-rate', 'fast');
  await expect(page.locator('#plan-form')).toContainText("rateLimit: must be 0 (refuses every request) or a number from 0.001 to 1000000 requests per second; 'fast' is not.");
  await page.fill('#plan-burst', '-2');
  await expect(page.locator('#plan-form')).toContainText("burstLimit: must be a whole number from 0 to 1000000 (0 refuses every request); '-2' is not.");
  await page.check('#plan-quota');
  await page.fill('#plan-quota-limit', '1000');
  await page.selectOption('#plan-quota-period', 'WEEK');
  await page.fill('#plan-quota-offset', '9');
  await expect(page.locator('#plan-form')).toContainText('from 0 to 6');
  await page.selectOption('#add-stage-api', apiId);
  await page.selectOption('#add-stage-stage', 'dev');
  await page.click('#add-stage');
  await expect(page.locator('#plan-stages')).toContainText('metered');
  await expect(page.locator('#plan-stages')).toContainText('dev');
  await expect(page.locator('#no-stages')).toHaveCount(0);
  await page.screenshot({ path: `${SHOTS}/67-plan-create-errors.png`, fullPage: true });
  // Nothing can be sent while a rule is broken: Save waits for valid values.
  await expect(page.locator('#plan-save')).toBeDisabled();
  await expect(page).toHaveURL(/\/usage-plans$/);
  await page.fill('#plan-rate', '1');
  await page.fill('#plan-burst', '2');
  await page.selectOption('#plan-quota-period', 'DAY');
  await expect(page.locator('#plan-quota-offset')).toHaveValue('0');
  await expect(page.locator('#plan-quota-offset')).toBeDisabled();
  await expect(page.locator('#plan-form .field-error')).toHaveCount(0);
  await page.click('#plan-save');
  await expect(page).toHaveURL(/\/usage-plans\/[a-z0-9]+$/);
  await expect(page.locator('#plan-title')).toHaveText('bronze');
  await expect(page.locator('#plan-rate')).toHaveValue('1');
  await expect(page.locator('#plan-burst')).toHaveValue('2');
  await expect(page.locator('#no-plan-keys')).toHaveText('No keys in this plan yet — add one below.');

  // Add the key; then a whole-plan save keeps everything and says so.
  await page.selectOption('#add-key-select', keyId);
  await page.click('#add-key');
  await expect(page.locator('#plan-key-table')).toContainText('mobile-app');
  await page.fill('#plan-description', 'Partners on the free tier (2 r/s burst)');
  await expect(page.locator('#plan-dirty')).toBeVisible();
  await page.click('#plan-save');
  await expect(page.locator('#plan-saved')).toBeVisible();
  await expect(page.locator('#plan-dirty')).toHaveCount(0);
  await expect(page.locator('.page-header')).toContainText('Partners on the free tier (2 r/s burst)');
  await expect(page.locator('#plan-stages')).toContainText('dev');
  await expect(page.locator('#plan-key-table')).toContainText('mobile-app');
  await page.screenshot({ path: `${SHOTS}/61-plan-editor.png`, fullPage: true });

  // The gateway: no key, a wrong key, the right key, then too fast.
  expect(await call(request, url)).toEqual({ status: 403, body: '{"message":"Forbidden"}' });
  expect((await call(request, url, 'x'.repeat(30))).status).toBe(403);
  await expect.poll(async () => (await call(request, url, key)).status, { timeout: 5_000 }).toBe(200);
  let admitted = 1;
  const burst = await Promise.all(Array.from({ length: 8 }, () => call(request, url, key)));
  admitted += burst.filter((r) => r.status === 200).length;
  const throttled = burst.filter((r) => r.status === 429);
  expect(throttled.length).toBeGreaterThan(0);
  expect(JSON.parse(throttled[0].body)).toEqual({ message: 'Too Many Requests' });
  expect(burst.every((r) => r.status === 200 || r.status === 429)).toBe(true);

  // Usage reaches the console within a few seconds; Refresh fetches it without a reload.
  await page.waitForTimeout(1_500);
  const used = page.locator('#plan-key-table tr', { hasText: 'mobile-app' }).locator('.key-used');
  await expect(async () => {
    await page.click('#usage-refresh');
    await expect(used).toHaveText(String(admitted), { timeout: 1_000 });
  }).toPass({ timeout: 10_000 });
  await expect(page.locator('#plan-key-table .key-remaining')).toContainText(`${1000 - admitted} of 1,000`);
  await expect(page.locator('#usage-chart .chart-day').last()).toHaveAttribute('data-total', String(admitted));
  await expect(page.locator('#usage-chart .chart-day').last().locator('title')).toContainText(`mobile-app ${admitted}`);
  await page.locator('#plan-usage').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/62-plan-usage.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.locator('#plan-keys').screenshot({ path: `${SHOTS}/63-plan-keys-dark.png` });
  await page.locator('#plan-usage').screenshot({ path: `${SHOTS}/64-plan-usage-dark.png` });
  await page.emulateMedia({ colorScheme: 'light' });

  // The same page loaded from scratch: server-rendered, then hydrated.
  await page.reload();
  await hydrated(page);
  await expect(page.locator('#plan-rate')).toHaveValue('1');
  await expect(page.locator('#plan-stages')).toContainText('metered');
  await expect(used).toHaveText(String(admitted));

  // Disabling the key shuts the door at once; enabling opens it again.
  await openSection(page, 'API keys', /\/keys$/);
  await expect(page.locator('#key-value-created')).toHaveCount(0);
  const keyRow = page.locator(`#key-table tr[data-key-id="${keyId}"]`);
  await expect(keyRow.locator('.plan-chip')).toHaveText('bronze');
  await keyRow.getByRole('button', { name: 'Disable' }).click();
  await expect(keyRow.locator('.key-status')).toHaveText('Disabled');
  await expect.poll(async () => (await call(request, url, key)).status, { timeout: 5_000 }).toBe(403);
  await page.screenshot({ path: `${SHOTS}/65-keys-list.png`, fullPage: true });
  await keyRow.getByRole('button', { name: 'Enable' }).click();
  await expect(keyRow.locator('.key-status')).toHaveText('Enabled');
  await expect.poll(async () => (await call(request, url, key)).status, { timeout: 5_000 }).toBe(200);

  // A method limit in the plan: GET / at rate 0 refuses this key's every
  // call, however long it waits (the plan's own throttle would refill).
  await keyRow.locator('.plan-chip').click();
  await expect(page.locator('#plan-title')).toHaveText('bronze');
  await expect(page.locator('#no-method-limits')).toBeVisible();
  await page.click('#add-method-limit');
  const limit = page.locator('.plan-limit-row');
  await expect(limit.locator('.limit-method')).toHaveValue('//GET');
  await expect(limit.locator('.limit-method option:checked')).toHaveText('GET /');
  await limit.locator('.limit-rate').fill('-1');
  await expect(page.locator('#plan-form')).toContainText('Rate of GET / on dev: must be 0');
  await expect(page.locator('#plan-save')).toBeDisabled();
  await limit.locator('.limit-rate').fill('0');
  await limit.locator('.limit-burst').fill('0');
  await page.click('#plan-save');
  await expect(page.locator('#plan-saved')).toBeVisible();
  await expect.poll(async () => (await call(request, url, key)).status, { timeout: 5_000 }).toBe(429);
  await page.waitForTimeout(2_500);
  expect((await call(request, url, key)).status).toBe(429);
  await page.reload();
  await hydrated(page);
  await expect(limit.locator('.limit-rate')).toHaveValue('0');
  await page.screenshot({ path: `${SHOTS}/66b-plan-method-limit.png`, fullPage: true });
  await limit.getByLabel('Remove this method limit').click();
  await page.click('#plan-save');
  await expect(page.locator('#plan-saved')).toBeVisible();
  await expect(page.locator('#no-method-limits')).toBeVisible();
  await expect.poll(async () => (await call(request, url, key)).status, { timeout: 5_000 }).toBe(200);
  await openSection(page, 'API keys', /\/keys$/);
  await keyRow.getByRole('button', { name: 'Disable' }).click();
  await expect(keyRow.locator('.key-status')).toHaveText('Disabled');

  // The plan chip leads back to the plan.
  await keyRow.locator('.plan-chip').click();
  await expect(page).toHaveURL(/\/usage-plans\/[a-z0-9]+$/);
  await expect(page.locator('#plan-title')).toHaveText('bronze');
  expect(problems).toEqual([]);
});

test('custom key values, deleting keys and plans', async ({ page }) => {
  await signIn(page);
  await page.goto('/keys');
  await hydrated(page);
  await page.click('#new-key');
  await page.fill('#key-name', 'legacy-partner');
  const value = 'legacy-partner-key-0123456789';
  await page.fill('#key-value', value);
  await page.click('#create-key');
  await expect(page.locator('#key-value-created code')).toHaveText(value);
  await page.click('#key-saved-it');
  await expect(page.locator('#key-value-created')).toHaveCount(0);

  // The same value twice is refused, next to the field.
  await page.click('#new-key');
  await page.fill('#key-name', 'copycat');
  await page.fill('#key-value', value);
  await page.click('#create-key');
  await expect(page.locator('#create-key-form .field-error')).toContainText('already exists');

  await page.locator('#key-table tr', { hasText: 'legacy-partner' }).getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('dialog')).toContainText('Delete API key “legacy-partner”?');
  await page.click('#confirm-delete');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.locator('#key-table')).not.toContainText('legacy-partner');
  await expect(page.locator('#key-table')).toContainText('mobile-app');

  // A plan with no stages says what that means; delete it from its page.
  await page.goto('/usage-plans');
  await hydrated(page);
  await page.click('#new-plan');
  await page.fill('#plan-name', 'scratch-plan');
  await page.click('#plan-save');
  await expect(page.locator('#plan-title')).toHaveText('scratch-plan');
  await expect(page.locator('#no-stages')).toContainText('callers of a key in this plan can reach nothing');
  await expect(page.locator('#plan-usage')).toContainText('No requests in the last 14 days');
  await page.click('#delete-plan');
  await expect(page.getByRole('dialog')).toContainText('Delete usage plan “scratch-plan”?');
  await page.click('#confirm-delete');
  await expect(page).toHaveURL(/\/usage-plans$/);
  await expect(page.locator('#plan-table')).toContainText('bronze');
  await expect(page.locator('#plan-table')).not.toContainText('scratch-plan');
  await expect(page.locator('#plan-table tr', { hasText: 'bronze' })).toContainText('rate 1 r/s · burst 2');
  await expect(page.locator('#plan-table tr', { hasText: 'bronze' })).toContainText('1,000 per DAY');
  await page.screenshot({ path: `${SHOTS}/66-plan-list.png`, fullPage: true });
});
