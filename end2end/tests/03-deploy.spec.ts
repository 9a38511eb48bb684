// Deploy from the console, copy the invoke URL, call it, deploy a change,
// roll back, and see the old behaviour again.
import { test, expect } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { SHOTS, hydrated, signIn } from './helpers';

mkdirSync(SHOTS, { recursive: true });

test('deploy, call, change, roll back', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signIn(page);
  await page.goto('/apis');
  await hydrated(page);
  await page.click('#new-api');
  await page.fill('#api-name', 'releases');
  await page.click('#create-api-form button[type=submit]');
  await expect(page).toHaveURL(/\/apis\/[a-z0-9]{10}$/);

  // GET / answers "v1" from a mock.
  await page.selectOption('#new-verb', 'GET');
  await page.click('#add-method-form button[type=submit]');
  await page.locator('#integration-type label', { hasText: 'Mock' }).click();
  await page.fill('#mock-body', 'v1');
  await page.click('#save-method');
  await expect(page.locator('#saved')).toBeVisible();
  await expect(page.locator('#undeployed')).toBeVisible();

  // First deploy creates the stage.
  await page.click('#deploy-button');
  await expect(page.locator('#deploy-new-stage')).toHaveValue('dev');
  await page.fill('#deploy-description', 'first');
  await page.screenshot({ path: `${SHOTS}/50-deploy-dialog.png` });
  await page.click('#deploy-submit');
  await expect(page).toHaveURL(/\/stages\/dev$/);
  await hydrated(page);
  await expect(page.locator('#current-deployment')).toContainText('first');

  // Copy the invoke URL and call it.
  await page.locator('#invoke-url button').click();
  const invokeUrl = await page.evaluate(() => navigator.clipboard.readText());
  expect(invokeUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[a-z0-9]{10}\/dev\/$/);
  expect(await (await page.request.get(invokeUrl)).text()).toBe('v1');

  // Change the mock: nothing changes live until the next deploy.
  await page.locator('.breadcrumb a', { hasText: 'releases' }).click();
  await expect(page.locator('#deploy-button')).toBeVisible();
  await expect(page.locator('#deployed')).toHaveText('Deployed');
  await page.locator('.tree-row').first().locator('.verb', { hasText: 'GET' }).click();
  await page.fill('#mock-body', 'v2');
  // v2 also requires an API key.
  await page.check('#api-key-required');
  await page.click('#save-method');
  await expect(page.locator('#saved')).toBeVisible();
  await expect(page.locator('#undeployed')).toBeVisible();
  expect(await (await page.request.get(invokeUrl)).text()).toBe('v1');
  await expect(page.locator('.stage-chip[data-stale=true]')).toHaveText(/dev/);

  await page.click('#deploy-button');
  await expect(page.locator('#deploy-stage')).toHaveValue('dev');
  await page.fill('#deploy-description', 'second');
  await page.click('#deploy-submit');
  await expect(page).toHaveURL(/\/stages\/dev$/);
  await expect(page.locator('#current-deployment')).toContainText('second');
  expect((await page.request.get(invokeUrl)).status()).toBe(403);
  await expect(page.locator('#stage-fresh')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/51-stage.png`, fullPage: true });

  // Rolling back asks first and lists what callers will notice, the key
  // requirement going away first.
  const firstRow = page.locator('#deployment-history tr', { hasText: 'first' });
  await firstRow.getByRole('button', { name: 'Roll back to this' }).click();
  const dialog = page.locator('#switch-dialog');
  await expect(dialog).toBeVisible();
  const changes = page.locator('#switch-changes li');
  await expect(changes).toHaveCount(2);
  await expect(changes.first()).toContainText('GET /');
  await expect(changes.first()).toContainText('API key no longer required');
  await expect(changes.nth(1)).toContainText('Other method settings differ');
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.screenshot({ path: `${SHOTS}/53-rollback-confirm.png` });
  // Esc cancels and nothing changes.
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(page.locator('#current-deployment')).toContainText('second');
  expect((await page.request.get(invokeUrl)).status()).toBe(403);
  // Confirmed: the old behaviour is back at once, and the stage says it is behind.
  await firstRow.getByRole('button', { name: 'Roll back to this' }).click();
  await page.click('#switch-confirm');
  await expect(dialog).toHaveCount(0);
  await expect(page.locator('#current-deployment')).toContainText('first');
  await expect(page.locator('#stage-stale')).toBeVisible();
  expect(await (await page.request.get(invokeUrl)).text()).toBe('v1');
  // The API page tells the truth too: not "Deployed", but which stage is behind.
  await page.locator('.breadcrumb a', { hasText: 'releases' }).click();
  await expect(page.locator('#stages-behind')).toHaveText('1 stage serves an older deployment');
  await expect(page.locator('#deployed')).toHaveCount(0);
  await expect(page.locator('.stage-chip[data-stale=true]')).toHaveText(/dev/);
  await page.screenshot({ path: `${SHOTS}/54-api-stage-behind.png` });
  await page.locator('.stage-chip', { hasText: 'dev' }).click();
  await expect(page).toHaveURL(/\/stages\/dev$/);
  await hydrated(page);
  // And forward again.
  await page.locator('#deployment-history tr', { hasText: 'second' }).getByRole('button', { name: 'Roll forward to this' }).click();
  await expect(page.locator('#switch-changes li').first()).toContainText('API key becomes required');
  await page.click('#switch-confirm');
  await expect(page.locator('#current-deployment')).toContainText('second');
  await expect(page.locator('#stage-fresh')).toBeVisible();
  expect((await page.request.get(invokeUrl)).status()).toBe(403);

  // Stage variables save without a deploy.
  await page.click('#add-variable');
  await page.getByLabel('Variable name').fill('backend');
  await page.getByLabel('Variable value').fill('has space');
  await expect(page.getByText('the value may use only')).toBeVisible();
  await page.getByLabel('Variable value').fill('10.0.0.5:8080');
  await page.click('#stage-variables button[type=submit]');
  await expect(page.locator('#variables-saved')).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Variable value')).toHaveValue('10.0.0.5:8080');
  await page.screenshot({ path: `${SHOTS}/52-stage-variables.png`, fullPage: true });

  // Throttling: every method, and one method on its own, checked as typed.
  await expect(page.locator('#no-method-throttles')).toBeVisible();
  await expect(page.locator('#save-throttling')).toBeDisabled();
  await page.fill('#throttle-rate', 'fast');
  await expect(page.getByText("Rate limit of every method: must be 0 (refuses every request)")).toBeVisible();
  await expect(page.locator('#save-throttling')).toBeDisabled();
  await page.fill('#throttle-rate', '50');
  await page.fill('#throttle-burst', '20');
  await page.click('#add-method-throttle');
  const limited = page.locator('.throttle-row');
  await expect(limited.locator('select')).toHaveValue('~1/GET');
  await expect(page.getByText('Give GET / a rate or a burst limit, or remove its row.')).toBeVisible();
  await limited.locator('.throttle-rate').fill('2.5');
  await page.click('#save-throttling');
  await expect(page.locator('#throttling-saved')).toBeVisible();
  await expect(page.locator('#save-throttling')).toBeDisabled();
  await page.reload();
  await hydrated(page);
  await expect(page.locator('#throttle-rate')).toHaveValue('50');
  await expect(page.locator('#throttle-burst')).toHaveValue('20');
  await expect(limited.locator('.throttle-rate')).toHaveValue('2.5');
  await page.screenshot({ path: `${SHOTS}/53-stage-throttling.png`, fullPage: true });
  // A row removed and a field emptied are saved as removals.
  await limited.getByLabel("Remove this method's limits").click();
  await page.fill('#throttle-burst', '');
  await page.click('#save-throttling');
  await expect(page.locator('#throttling-saved')).toBeVisible();
  await expect(page.locator('#save-throttling')).toBeDisabled();
  await page.reload();
  await hydrated(page);
  await expect(limited).toHaveCount(0);
  await expect(page.locator('#throttle-rate')).toHaveValue('50');
  await expect(page.locator('#throttle-burst')).toHaveValue('');
});
