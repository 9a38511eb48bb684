// Importing an OpenAPI document in the console (paste, preview with
// warnings, import), deploying it, and downloading the stage's export.
import { test, expect } from '@playwright/test';
import { mkdirSync, readFileSync } from 'node:fs';
import { SHOTS, hydrated, signIn } from './helpers';

mkdirSync(SHOTS, { recursive: true });

const DOC = `openapi: 3.0.1
info:
  title: imported pets
  version: "7"
paths:
  /pets:
    get:
      responses:
        "200": { description: ok }
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: { application/json: '{"statusCode": 200}' }
        responses:
          default:
            statusCode: "200"
            responseTemplates: { application/json: '[{"id": 1}]' }
  /lambda:
    post:
      responses:
        "200": { description: ok }
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f/invocations
`;

test('import a document, preview it, deploy it and export it', async ({ page }) => {
  await signIn(page);
  await page.goto('/apis');
  await hydrated(page);
  await page.click('#import-api');
  await expect(page.locator('#import-button')).toBeDisabled();
  // A broken document is refused where the user is looking.
  await page.fill('#import-document', 'openapi: [');
  await page.click('#import-preview-button');
  await expect(page.locator('#import-api-form')).toContainText('Unable to build importer with provided input');
  await page.fill('#import-document', DOC);
  await page.click('#import-preview-button');
  await expect(page.locator('#import-preview')).toContainText('“imported pets” version 7: 2 resources, 2 methods');
  await expect(page.locator('#import-warnings')).toContainText('AWS_PROXY');
  await page.screenshot({ path: `${SHOTS}/35-import-preview.png`, fullPage: true });
  // Editing the text makes the preview stale: import waits for a new one.
  await page.fill('#import-document', DOC + '\n');
  await expect(page.locator('#import-button')).toBeDisabled();
  await page.click('#import-preview-button');
  await expect(page.locator('#import-button')).toBeEnabled();
  await page.click('#import-button');
  await expect(page).toHaveURL(/\/apis\/[a-z0-9]{10}$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1, name: 'imported pets' })).toBeVisible();
  await expect(page.locator('.tree-row', { hasText: 'pets' }).first()).toBeVisible();

  // The method whose integration apigw cannot run stops a deploy, saying which.
  const apiId = page.url().split('/').pop()!;
  await page.click('#deploy-button');
  await page.click('#deploy-submit');
  await expect(page.getByRole('dialog')).toContainText('No integration defined for method POST /lambda');
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  // Remove it (through the control API, with the console's session), then deploy.
  const tree = await (await page.request.get(`/restapis/${apiId}/resources`)).json();
  const lambda = tree.item.find((r: { path: string }) => r.path === '/lambda');
  expect((await page.request.delete(`/restapis/${apiId}/resources/${lambda.id}`)).status()).toBe(202);
  await page.reload();
  await hydrated(page);
  await page.click('#deploy-button');
  await page.click('#deploy-submit');
  await expect(page).toHaveURL(/\/stages\/dev$/);
  await hydrated(page);
  const link = page.locator('#stage-export a', { hasText: 'OpenAPI 3 (YAML)' });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const text = readFileSync((await download.path())!, 'utf8');
  expect(text).toContain('openapi: 3.0.1');
  expect(text).toContain('title: imported pets');
  expect(text).toContain('x-amazon-apigateway-integration');
  await page.screenshot({ path: `${SHOTS}/36-stage-export.png`, fullPage: true });
});
