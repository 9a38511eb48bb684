// An API's models, request validators and gateway responses in the
// console: create a model (a bad schema is refused where it is typed), a
// validator, give a method a validated request, deploy, and watch the
// gateway refuse bad requests with AWS's answers; then customise a gateway
// response and see the stage answer with it.
import { test, expect } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { SHOTS, hydrated, signIn } from './helpers';

mkdirSync(SHOTS, { recursive: true });
test.describe.configure({ mode: 'serial' });

test('models, validators and gateway responses, enforced once deployed', async ({ page }) => {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await signIn(page);
  await page.goto('/apis');
  await hydrated(page);
  await page.click('#new-api');
  await page.fill('#api-name', 'validated');
  await page.click('#create-api-form button[type=submit]');
  await expect(page).toHaveURL(/\/apis\/[a-z0-9]{10}$/);
  const apiId = page.url().split('/').pop()!;

  // Models & validators: AWS's two default models are there from the start.
  await page.click('#api-tab-models');
  await expect(page).toHaveURL(new RegExp(`/apis/${apiId}/models$`));
  await hydrated(page);
  await expect(page.locator('#model-table tr[data-model="Empty"]')).toBeVisible();
  await expect(page.locator('#model-table tr[data-model="Error"]')).toBeVisible();
  await page.click('#new-model');
  await page.fill('#model-name', 'pet-store');
  await page.locator('#model-name').blur();
  await expect(page.locator('#model-form')).toContainText('Model names must be alphanumeric');
  await page.fill('#model-name', 'Pet');
  await page.fill('#model-schema', '{"type": "object",');
  await expect(page.locator('#model-form')).toContainText('Unable to parse the schema as JSON');
  await expect(page.locator('#model-save')).toBeDisabled();
  await page.fill('#model-schema', '{"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}');
  await page.click('#model-save');
  await expect(page.locator('#items-flash')).toContainText('Model Pet saved');
  await expect(page.locator('#model-table tr[data-model="Pet"]')).toBeVisible();

  await page.click('#new-validator');
  await page.fill('#validator-name', 'body and parameters');
  await page.click('#validator-save');
  await expect(page.locator('#validator-table')).toContainText('body and parameters');
  await page.screenshot({ path: `${SHOTS}/80-models-validators.png`, fullPage: true });

  // A method whose request is checked: the validator, the model, a required query string.
  await page.click('#api-tab-resources');
  await expect(page).toHaveURL(new RegExp(`/apis/${apiId}$`));
  await hydrated(page);
  await page.selectOption('#new-verb', 'POST');
  await page.click('#add-method-form button[type=submit]');
  await expect(page.locator('#method-editor')).toBeVisible();
  await page.locator('#integration-type label', { hasText: 'Mock' }).click();
  await page.fill('#mock-body', '{"ok": true}');
  await page.selectOption('#request-validator', { label: 'body and parameters' });
  await page.selectOption('#request-model', 'Pet');
  await page.click('#add-request-param');
  const param = page.locator('#request-params .param-row').last();
  await param.locator('input[type=text]').fill('own er');
  await expect(page.locator('#method-request')).toContainText('Invalid method request parameter');
  await expect(page.locator('#save-method')).toBeDisabled();
  await param.locator('input[type=text]').fill('owner');
  await param.locator('input[type=checkbox]').check();
  await page.click('#save-method');
  await expect(page.locator('#saved')).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.locator('#request-model')).toHaveValue('Pet');
  await expect(page.locator('#request-params .param-row input[type=text]')).toHaveValue('owner');
  await page.locator('#method-request').screenshot({ path: `${SHOTS}/81-method-request.png` });

  // Deploy, and the stage checks what was deployed.
  await page.click('#deploy-button');
  await page.click('#deploy-submit');
  await expect(page).toHaveURL(/\/stages\/dev$/);
  const base = `${process.env.APIGW_GATEWAY_URL}/${apiId}/dev`;
  const json = { 'content-type': 'application/json' };
  let res = await page.request.post(`${base}/`, { headers: json, data: '{"name": "rex"}' });
  expect(res.status()).toBe(400);
  expect(await res.text()).toBe('{"message":"Missing required request parameters: [owner]"}');
  res = await page.request.post(`${base}/?owner=ann`, { headers: json, data: '{"age": 3}' });
  expect(res.status()).toBe(400);
  expect(await res.text()).toBe('{"message":"Invalid request body"}');
  res = await page.request.post(`${base}/?owner=ann`, { headers: json, data: '{"name": "rex"}' });
  expect(res.status()).toBe(200);

  // A customised gateway response: no route answers 404 with a header of ours.
  await page.goto(`/apis/${apiId}/responses`);
  await hydrated(page);
  await page.click('#gr-list button[data-type="MISSING_AUTHENTICATION_TOKEN"]');
  await expect(page.locator('#gr-editor h2')).toHaveText('MISSING_AUTHENTICATION_TOKEN');
  await page.fill('#gr-status', '4040');
  await expect(page.locator('#gr-editor')).toContainText('4040');
  await expect(page.locator('#gr-save')).toBeDisabled();
  await page.fill('#gr-status', '404');
  await page.click('#gr-add-header');
  await page.getByLabel('Header name').last().fill('X-Why');
  await page.getByLabel('Header value').last().fill("'no route'");
  await page.fill('#gr-template', '{"error": "$context.error.responseType"}');
  await page.click('#gr-save');
  await expect(page.locator('#gr-saved')).toBeVisible();
  await expect(page.locator('#gr-list button[data-type="MISSING_AUTHENTICATION_TOKEN"]')).toContainText('Customised');
  await page.screenshot({ path: `${SHOTS}/82-gateway-responses.png`, fullPage: true });

  await page.click('#api-tab-resources');
  await hydrated(page);
  await page.click('#deploy-button');
  await page.click('#deploy-submit');
  await expect(page).toHaveURL(/\/stages\/dev$/);
  res = await page.request.get(`${base}/nowhere`);
  expect(res.status()).toBe(404);
  expect(res.headers()['x-why']).toBe('no route');
  expect(await res.text()).toBe('{"error": "MISSING_AUTHENTICATION_TOKEN"}');

  // Reset: the type is AWS's default again.
  await page.goto(`/apis/${apiId}/responses`);
  await hydrated(page);
  await page.click('#gr-list button[data-type="MISSING_AUTHENTICATION_TOKEN"]');
  await page.click('#gr-reset');
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  await expect(page.locator('#gr-list button[data-type="MISSING_AUTHENTICATION_TOKEN"]')).toContainText('Default');
  expect(problems).toEqual([]);
});
