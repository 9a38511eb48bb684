// Building an API in the console: /pets/{id} GET → HTTP proxy, with inline
// validation, surviving a reload, and visible through the control API.
import { test, expect } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { DOC_SHOTS, SHOTS, hydrated, signIn } from './helpers';

mkdirSync(SHOTS, { recursive: true });
mkdirSync(DOC_SHOTS, { recursive: true });
test.describe.configure({ mode: 'serial' });

test('build /pets/{id} GET → HTTP proxy and see it everywhere', async ({ page }) => {
  await signIn(page);
  await page.goto('/apis');
  await hydrated(page);
  await page.click('#new-api');
  await page.fill('#api-name', 'petstore');
  await page.fill('#api-description', 'Pets, from the browser test');
  await page.click('#create-api-form button[type=submit]');
  await expect(page).toHaveURL(/\/apis\/[a-z0-9]{10}$/);
  const apiId = page.url().split('/').pop()!;
  await expect(page.getByRole('heading', { level: 1, name: 'petstore' })).toBeVisible();

  // Root is selected: add /pets, with inline validation first.
  await page.fill('#path-part', 'pe ts');
  await expect(page.getByText("may use only a-z")).toBeVisible();
  await page.fill('#path-part', 'pets');
  await expect(page.locator('#add-resource-form .hint code').last()).toHaveText('/pets');
  await page.click('#add-resource-form button[type=submit]');
  await expect(page).toHaveURL(/resource=/);
  await expect(page.locator('.detail h2.mono')).toHaveText('/pets');

  // Then /pets/{id} under it.
  await page.fill('#path-part', '{id}');
  await page.click('#add-resource-form button[type=submit]');
  await expect(page.locator('.detail h2.mono')).toHaveText('/pets/{id}');

  // Add GET and configure it as an HTTP proxy.
  await page.selectOption('#new-verb', 'GET');
  await page.click('#add-method-form button[type=submit]');
  await expect(page.locator('#method-editor')).toBeVisible();
  await expect(page.getByText('This method has no integration yet')).toBeVisible();
  await expect(page.getByText('Path parameters you can use: {id}')).toBeVisible();
  await page.fill('#endpoint-uri', 'ftp://backend.internal/pets/{id}');
  await expect(page.getByText('must be an absolute URL starting with http://')).toBeVisible();
  await expect(page.locator('#save-method')).toBeDisabled();
  await page.fill('#endpoint-uri', 'http://backend.internal/pets/{petId}');
  await expect(page.getByText('{petId} is not a path parameter of this resource')).toBeVisible();
  await page.fill('#endpoint-uri', 'http://backend.internal/pets/{id}');
  await page.fill('#timeout', '10');
  await expect(page.getByText('Timeout (ms) must be between 50 and 29000')).toBeVisible();
  await page.fill('#timeout', '5000');
  await page.check('#api-key-required');
  await page.screenshot({ path: `${SHOTS}/30-method-editor.png`, fullPage: true });
  await page.click('#save-method');
  await expect(page.locator('#saved')).toBeVisible();

  // A reload shows what was saved.
  await page.reload();
  await hydrated(page);
  await expect(page.locator('#endpoint-uri')).toHaveValue('http://backend.internal/pets/{id}');
  await expect(page.locator('#timeout')).toHaveValue('5000');
  await expect(page.locator('#api-key-required')).toBeChecked();
  await expect(page.locator('.tree-row', { hasText: '{id}' }).locator('.verb', { hasText: 'GET' })).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/31-api-tree.png`, fullPage: true });
  // The README's picture, kept current by this test.
  await page.screenshot({ path: `${DOC_SHOTS}/api-editor.png` });

  // The control API sees the same thing.
  const res = await page.request.get(`/restapis/${apiId}/resources?embed=methods`);
  expect(res.status()).toBe(200);
  const body = await res.json();
  const pet = body.item.find((r: any) => r.path === '/pets/{id}');
  expect(pet.resourceMethods.GET.apiKeyRequired).toBe(true);
  expect(pet.resourceMethods.GET.methodIntegration).toMatchObject({
    type: 'HTTP_PROXY', httpMethod: 'GET', uri: 'http://backend.internal/pets/{id}', timeoutInMillis: 5000,
  });

  // Something made by the control API shows up in the console.
  const root = body.item.find((r: any) => r.path === '/');
  const made = await page.request.post(`/restapis/${apiId}/resources/${root.id}`, { data: { pathPart: 'owners' } });
  expect(made.status()).toBe(201);
  await page.reload();
  await hydrated(page);
  await expect(page.locator('.tree-node', { hasText: 'owners' })).toBeVisible();
});

test('a mock method, and deleting an API names it', async ({ page }) => {
  await signIn(page);
  await page.goto('/apis');
  await hydrated(page);
  await expect(page.locator('#api-table')).toContainText('petstore');
  await page.click('#new-api');
  await page.fill('#api-name', 'scratch');
  await page.click('#create-api-form button[type=submit]');
  await expect(page).toHaveURL(/\/apis\/[a-z0-9]{10}$/);
  await page.selectOption('#new-verb', 'GET');
  await page.click('#add-method-form button[type=submit]');
  await page.locator('#integration-type label', { hasText: 'Mock' }).click();
  await page.fill('#mock-status', '418');
  await page.click('#add-header');
  await page.getByLabel('Header name').fill('X-Teapot');
  await page.getByLabel('Header value').fill('short and stout');
  await page.fill('#mock-body', '{"tea": true}');
  await page.click('#save-method');
  await expect(page.locator('#saved')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/32-mock-editor.png`, fullPage: true });
  await page.reload();
  await hydrated(page);
  await expect(page.locator('#mock-status')).toHaveValue('418');
  await expect(page.getByLabel('Header value')).toHaveValue('short and stout');

  await page.goto('/apis');
  await hydrated(page);
  await page.fill('input[type=search]', 'scr');
  await expect(page.locator('#api-table tbody tr')).toHaveCount(1);
  await page.locator('#api-table tr', { hasText: 'scratch' }).getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('dialog')).toContainText('Delete API “scratch”?');
  await page.screenshot({ path: `${SHOTS}/33-delete-confirm.png` });
  await page.click('#confirm-delete');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await page.fill('input[type=search]', '');
  await expect(page.locator('#api-table')).not.toContainText('scratch');
  await expect(page.locator('#api-table')).toContainText('petstore');
});

test('access keys: the secret is shown once', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signIn(page);
  await page.goto('/settings');
  await hydrated(page);
  await page.fill('#key-description', 'laptop');
  await page.click('#create-access-key button[type=submit]');
  await expect(page.getByText('it is shown only this once')).toBeVisible();
  const secret = (await page.locator('#new-secret code').textContent())!;
  expect(secret).toHaveLength(40);
  await page.locator('#new-secret button').click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await page.screenshot({ path: `${SHOTS}/40-access-key-created.png`, fullPage: true });
  await page.reload();
  await hydrated(page);
  await expect(page.locator('#access-keys table')).toContainText('laptop');
  await expect(page.getByText(secret)).toHaveCount(0);
});
