// The Test button: a method's Test tab runs the saved configuration against
// a real backend (an echo server this test starts) or the mock, shows the
// status, body, headers and AWS's execution log; "Copy as curl" gives a
// command that really works against the deployed stage; and the dry run
// says what the stage would do, step by step.
import { test, expect, Page } from '@playwright/test';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { SHOTS, hydrated, signIn } from './helpers';

mkdirSync(SHOTS, { recursive: true });
test.describe.configure({ mode: 'serial' });

/** A backend that answers every request with what it received, as JSON; `?delay=ms` makes it slow, `?pad=n` long. */
let echo: http.Server;
let echoPort = 0;

test.beforeAll(async () => {
  echo = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://echo');
      const delay = Number(url.searchParams.get('delay') ?? 0);
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-echo': 'yes' });
        res.end(JSON.stringify({
          method: req.method,
          url: req.url,
          path: url.pathname,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
          pad: 'x'.repeat(Number(url.searchParams.get('pad') ?? 0)),
        }));
      }, delay);
    });
  });
  await new Promise<void>((ok) => echo.listen(0, '127.0.0.1', ok));
  echoPort = (echo.address() as AddressInfo).port;
});

test.afterAll(async () => {
  await new Promise((ok) => echo.close(ok));
});

/** Collects uncaught errors and console errors (a failed hydration shows up here). */
function watchForProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(m.text());
  });
  return problems;
}

async function addResource(page: Page, part: string, path: string) {
  await page.fill('#path-part', part);
  await page.click('#add-resource-form button[type=submit]');
  await expect(page.locator('.detail h2.mono')).toHaveText(path);
}

async function addMethod(page: Page, verb: string) {
  await page.selectOption('#new-verb', verb);
  await page.click('#add-method-form button[type=submit]');
  await expect(page.locator('#method-editor')).toBeVisible();
}

test('test a method, copy it as curl, and dry-run a stage', async ({ page, context }) => {
  test.setTimeout(120_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const problems = watchForProblems(page);
  await signIn(page);

  // An API with GET /pets/{id} → the echo server, and POST /pets → a mock that needs a key.
  await page.goto('/apis');
  await hydrated(page);
  await page.click('#new-api');
  await page.fill('#api-name', 'testbench');
  await page.click('#create-api-form button[type=submit]');
  await expect(page).toHaveURL(/\/apis\/[a-z0-9]{10}$/);
  const apiId = page.url().split('/').pop()!;
  await addResource(page, 'pets', '/pets');
  await addMethod(page, 'POST');
  await page.locator('#integration-type label', { hasText: 'Mock' }).click();
  await page.fill('#mock-status', '201');
  await page.click('#add-header');
  await page.getByLabel('Header name').fill('x-mock');
  await page.getByLabel('Header value').fill('yes');
  await page.fill('#mock-body', '{"created":true,"id":"rex"}');
  await page.check('#api-key-required');
  await page.click('#save-method');
  await expect(page.locator('#saved')).toBeVisible();
  const postPets = page.url();

  await page.goto(postPets.replace(/\?.*$/, `?resource=${new URL(postPets).searchParams.get('resource')}`));
  await hydrated(page);
  await addResource(page, '{id}', '/pets/{id}');
  await addMethod(page, 'GET');
  await page.fill('#endpoint-uri', `http://127.0.0.1:${echoPort}/pets/{id}`);
  await page.click('#save-method');
  await expect(page.locator('#saved')).toBeVisible();
  const getPet = page.url();

  // The Test tab sits next to the settings.
  await page.click('#tab-test');
  await expect(page).toHaveURL(/tab=test/);
  await expect(page.locator('#test-panel')).toBeVisible();
  await expect(page.locator('#method-editor')).toBeHidden();
  await expect(page.locator('#test-param-id')).toBeVisible();
  await expect(page.locator('#curl-none')).toHaveText('Deploy the API to get an invoke URL.');

  // A missing path parameter is said inline, and nothing is sent.
  await page.click('#test-run');
  await expect(page.getByText('Give a value for {id}; the path needs it.')).toBeVisible();
  await expect(page.locator('.test-empty')).toBeVisible();

  // A real call through the proxy, slow enough to see it running.
  await page.fill('#test-param-id', '7');
  await expect(page.getByText('Give a value for {id}')).toBeHidden();
  await page.fill('#test-query', 'color=red&delay=600');
  await expect(page.locator('#test-request-line')).toHaveText('GET /pets/7?color=red&delay=600');
  await page.click('#test-add-header');
  await page.locator('#test-panel').getByLabel('Header name').fill('x-trace');
  await page.locator('#test-panel').getByLabel('Header value').fill('abc 123');
  await page.click('#test-run');
  await expect(page.locator('#test-run')).toBeDisabled();
  await expect(page.locator('#test-run')).toHaveText('Testing…');
  await expect(page.locator('#test-status')).toHaveText('200 OK');
  await expect(page.locator('#test-status')).toHaveClass(/test-status-2xx/);
  await expect(page.locator('#test-run')).toBeEnabled();
  const latency = Number((await page.locator('#test-latency').textContent())!.replace(' ms', ''));
  expect(latency).toBeGreaterThanOrEqual(600);
  const out = page.locator('#test-body-out');
  await expect(out).toContainText('"path": "/pets/7"');
  await expect(out).toContainText('"url": "/pets/7?color=red&delay=600"');
  await expect(out).toContainText('"x-trace": "abc 123"');
  expect(await out.textContent()).toContain('{\n  "method": "GET",\n');
  await expect(page.locator('#test-headers')).toContainText('x-echo');
  await expect(page.locator('#test-headers')).toContainText('application/json');
  const log = page.locator('#test-log');
  await expect(log).toContainText(`Sending request to http://127.0.0.1:${echoPort}/pets/7?color=red&delay=600`);
  await expect(log).toContainText('Method completed with status: 200');
  await expect(log.locator('.log-date').first()).toContainText(/UTC \d{4} :/);

  // The body hint follows the text; the last result stays while editing.
  await page.fill('#test-body', '{"name": ');
  await expect(page.locator('#test-body-hint')).toContainText('Not JSON — sent as text');
  await page.fill('#test-body', '{"name": "Rex"}');
  await expect(page.locator('#test-body-hint')).toHaveText('✓ Valid JSON');
  await page.fill('#test-body', 'plain words');
  await expect(page.locator('#test-body-hint')).toHaveCount(0);
  await page.fill('#test-body', '');
  await expect(page.locator('#test-status')).toHaveText('200 OK');
  await page.fill('#test-query', 'color=red');
  await page.click('#test-run');
  await expect(page.locator('#test-body-out')).toContainText('"url": "/pets/7?color=red"');
  // Full-page shots from the top, so the sticky sidebar and tree sit where a reader sees them.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SHOTS}/60-test-panel.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: `${SHOTS}/61-test-panel-dark.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  // A huge body is cut in the page, and says so.
  await page.fill('#test-query', 'pad=70000');
  await page.click('#test-run');
  await expect(page.locator('#test-body-cut')).toHaveText(/^Showing the first 64 KB of 69 KB\.$/);
  expect((await page.locator('#test-body-out').textContent())!.length).toBe(64 * 1024);
  await page.fill('#test-query', 'color=red');
  await page.click('#test-run');
  await expect(page.locator('#test-body-cut')).toHaveCount(0);

  // Settings and Test keep their state when switching between them.
  await page.click('#tab-settings');
  await expect(page.locator('#method-editor')).toBeVisible();
  await expect(page.locator('#test-panel')).toBeHidden();
  await page.click('#tab-test');
  await expect(page.locator('#test-param-id')).toHaveValue('7');
  await expect(page.locator('#test-status')).toHaveText('200 OK');

  // The mock answers itself, opened straight on the Test tab.
  await page.goto(`${postPets}&tab=test`);
  await hydrated(page);
  await expect(page.locator('#test-panel')).toBeVisible();
  await expect(page.locator('.test-param')).toHaveCount(0);
  // A header the server refuses is named next to the headers, and nothing runs.
  await page.click('#test-add-header');
  await page.locator('#test-panel').getByLabel('Header name').fill('bad name');
  await page.locator('#test-panel').getByLabel('Header value').fill('x');
  await page.click('#test-run');
  await expect(page.getByText("'bad name' is not a valid header name.")).toBeVisible();
  await expect(page.locator('.test-empty')).toBeVisible();
  await page.locator('#test-panel').getByLabel('Remove header').click();
  await page.fill('#test-body', '{"name": "Rex"}');
  await page.click('#test-run');
  await expect(page.locator('#test-status')).toHaveText('201 Created');
  await expect(page.getByText("'bad name' is not a valid header name.")).toBeHidden();
  await expect(page.locator('#test-body-out')).toContainText('"created": true');
  await expect(page.locator('#test-headers')).toContainText('x-mock');
  await expect(page.locator('#test-log')).toContainText('Mock integration');
  await expect(page.locator('#test-log')).toContainText('Method completed with status: 201');

  // Deploy to dev.
  await page.click('#deploy-button');
  await expect(page.locator('#deploy-new-stage')).toHaveValue('dev');
  await page.click('#deploy-submit');
  await expect(page).toHaveURL(/\/stages\/dev$/);

  // Copy as curl: the command calls the stage through the gateway, and works.
  await page.goto(`${getPet}&tab=test`);
  await hydrated(page);
  await page.fill('#test-param-id', '7');
  await page.fill('#test-query', 'color=red');
  await page.click('#test-add-header');
  await page.locator('#test-panel').getByLabel('Header name').fill('x-note');
  await page.locator('#test-panel').getByLabel('Header value').fill("it's here");
  await expect(page.locator('#test-stage-vars')).toHaveValue('dev');
  await page.selectOption('#test-stage-vars', 'dev');
  await expect(page.getByText('Stage dev has no stage variables.')).toBeVisible();
  await expect(page.locator('#curl-stage')).toHaveValue('dev');
  const invokeUrl = `${process.env.APIGW_GATEWAY_URL}/${apiId}/dev/pets/7?color=red`;
  await expect(page.locator('#curl-command code')).toContainText(invokeUrl);
  await page.locator('#curl-command button').click();
  await expect(page.locator('#curl-command button')).toHaveText('Copied');
  const curl = await page.evaluate(() => navigator.clipboard.readText());
  expect(curl).toContain(`curl -i -X GET '${invokeUrl}'`);
  expect(curl).toContain(`-H 'x-note: it'\\''s here'`);
  expect(curl).not.toContain('x-api-key');
  // Run it for real (asynchronously: the echo server answers from this process).
  const { stdout: answer } = await promisify(execFile)('sh', ['-c', curl], { encoding: 'utf8' });
  expect(answer).toMatch(/^HTTP\/1\.1 200/);
  expect(answer).toContain('"path":"/pets/7"');
  expect(answer).toContain(`"x-note":"it's here"`);

  // The dry run on the public method reaches the echo server.
  await expect(page.locator('#dry-stage')).toHaveValue('dev');
  await page.click('#dry-run');
  await expect(page.locator('#dry-steps .trace-step')).toHaveCount(6);
  await expect(page.locator('#dry-steps .trace-fail')).toHaveCount(0);
  await expect(page.locator('#dry-steps .trace-step', { hasText: 'Integration' }))
    .toContainText(`HTTP_PROXY: GET http://127.0.0.1:${echoPort}/pets/7?color=red`);
  await expect(page.locator('#dry-outcome')).toContainText(`The request would go to GET http://127.0.0.1:${echoPort}/pets/7?color=red.`);

  // The key-required method: without a key the API key step fails and the gateway would answer 403.
  await page.goto(`${postPets}&tab=test`);
  await hydrated(page);
  await expect(page.locator('#curl-command code')).toContainText("-H 'x-api-key: <YOUR_API_KEY>'");
  await page.click('#dry-run');
  const failed = page.locator('#dry-steps .trace-first-fail');
  await expect(failed).toContainText('API key');
  await expect(failed).toContainText('no x-api-key was given');
  await expect(page.locator('#dry-outcome')).toContainText('403');
  await expect(page.locator('#dry-outcome')).toContainText('The gateway would answer 403 Forbidden.');
  await expect(page.locator('#dry-steps .trace-skipped', { hasText: 'Integration' })).toContainText('not reached');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SHOTS}/62-dry-run.png`, fullPage: true });
  await page.fill('#dry-key', 'not-a-key');
  await page.click('#dry-run');
  await expect(page.locator('#dry-steps .trace-first-fail')).toContainText('no API key has this value');

  expect(problems).toEqual([]);
});

test('edits not saved: Save and test runs them, and leaving asks first', async ({ page }) => {
  test.setTimeout(90_000);
  const problems = watchForProblems(page);
  await signIn(page);
  await page.goto('/apis');
  await hydrated(page);
  await page.click('#new-api');
  await page.fill('#api-name', 'drafts');
  await page.click('#create-api-form button[type=submit]');
  await expect(page).toHaveURL(/\/apis\/[a-z0-9]{10}$/);
  await addResource(page, 'items', '/items');
  await addMethod(page, 'GET');
  await page.fill('#endpoint-uri', `http://127.0.0.1:${echoPort}/v1/items`);
  await page.click('#save-method');
  await expect(page.locator('#saved')).toBeVisible();
  const method = page.url();

  // The saved version answers the test.
  await page.click('#tab-test');
  await expect(page.locator('#test-unsaved')).toHaveCount(0);
  await page.fill('#test-query', 'q=1');
  await page.click('#test-run');
  await expect(page.locator('#test-body-out')).toContainText('"url": "/v1/items?q=1"');

  // An edit on Settings: the Test tab says it is not saved yet (switching
  // tabs asks nothing: both belong to the same editor).
  let asked = '';
  page.on('dialog', (d) => { asked = d.message(); void d.dismiss(); });
  await page.click('#tab-settings');
  await page.fill('#endpoint-uri', `http://127.0.0.1:${echoPort}/v2/items`);
  await page.click('#tab-test');
  expect(asked).toBe('');
  await expect(page.locator('#test-unsaved')).toContainText('not saved');
  // "Save and test" saves, then runs the test with the inputs still there.
  await page.click('#test-save-run');
  await expect(page.locator('#test-body-out')).toContainText('"url": "/v2/items?q=1"');
  await expect(page.locator('#test-unsaved')).toHaveCount(0);
  await expect(page.locator('#test-query')).toHaveValue('q=1');
  await page.click('#tab-settings');
  await expect(page.locator('#endpoint-uri')).toHaveValue(`http://127.0.0.1:${echoPort}/v2/items`);
  // Saved: closing the tab would not ask.
  const blocksUnload = () => page.evaluate(() => {
    const e = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(e);
    return e.defaultPrevented;
  });
  expect(await blocksUnload()).toBe(false);

  // Edits that cannot be saved: the button says to fix them first.
  await page.fill('#timeout', 'soon');
  await page.click('#tab-test');
  await expect(page.locator('#test-save-run')).toBeDisabled();
  await expect(page.locator('#test-unsaved')).toContainText('Fix the errors on the Settings tab first.');
  await page.click('#tab-settings');
  await page.fill('#timeout', '5000');

  // Another resource while edits are not saved: asked, and Cancel stays.
  expect(await blocksUnload()).toBe(true);
  await page.locator('.tree-node', { hasText: /^\/$/ }).click();
  await expect.poll(() => asked).toContain('GET /items has changes that are not saved');
  await expect(page).toHaveURL(method);
  await expect(page.locator('#timeout')).toHaveValue('5000');
  // The sidebar asks too; OK leaves and the edit is gone.
  page.removeAllListeners('dialog');
  page.once('dialog', (d) => void d.accept());
  await page.locator('.sidebar .nav-link', { hasText: 'API keys' }).click();
  await expect(page).toHaveURL(/\/keys$/);
  await page.goto(method);
  await hydrated(page);
  await expect(page.locator('#timeout')).toHaveValue('29000');

  // HTTP (not proxy): responses map the backend's status to the method's.
  await page.locator('#integration-type label', { hasText: /^HTTP$/ }).click();
  await expect(page.locator('#integration-type-hint')).toContainText("the method's own status");
  const responses = page.locator('#http-responses .response-row');
  await expect(responses).toHaveCount(1);
  await expect(responses.locator('.response-status')).toHaveValue('200');
  await page.click('#add-response');
  await responses.nth(1).locator('.response-pattern').fill('4\\d{2}');
  await responses.nth(1).locator('.response-status').fill('20');
  await expect(page.locator('#http-responses')).toContainText("status '20' must be a number");
  await expect(page.locator('#save-method')).toBeDisabled();
  await responses.nth(1).locator('.response-status').fill('404');
  await page.click('#save-method');
  await expect(page.locator('#saved')).toBeVisible();
  await page.reload();
  await hydrated(page);
  // Read back as they are checked: patterns first, the default last.
  await expect(responses.nth(0).locator('.response-pattern')).toHaveValue('4\\d{2}');
  await expect(responses.nth(0).locator('.response-status')).toHaveValue('404');
  await expect(responses.nth(1).locator('.response-pattern')).toHaveValue('');
  await expect(responses.nth(1).locator('.response-status')).toHaveValue('200');
  await page.locator('#method-editor').screenshot({ path: `${SHOTS}/62-http-responses.png` });

  // Mapping templates: "Try it" renders the text as typed, or marks the
  // line and column of a syntax error; a bad template is refused on save.
  await page.fill('#request-template', '{\n  "who": "$input.path(\'$.name\')",\n  #if($input.path(\'$.vip\'))"vip": true\n}');
  const tryIt = page.locator('#mapping-templates details.try-it').first();
  await tryIt.locator('summary').click();
  await page.fill('#request-template-sample', '{"name": "rex", "vip": true}');
  await page.click('#request-template-try');
  await expect(page.locator('#request-template-output')).toContainText('Line 3, column');
  await expect(page.locator('#request-template-output pre.excerpt')).toContainText('#if(');
  await page.click('#save-method');
  await expect(page.locator('#method-editor')).toContainText('is not a valid mapping template');
  await page.fill('#request-template', '{\n  "who": "$input.path(\'$.name\')"#if($input.path(\'$.vip\')),\n  "vip": true#end\n}');
  await page.click('#request-template-try');
  const out = page.locator('#request-template-output pre.output');
  await expect(out).toContainText('"who": "rex",');
  await expect(out).toContainText('"vip": true');
  await page.selectOption('#passthrough', 'NEVER');
  await page.click('#save-method');
  await expect(page.locator('#saved')).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.locator('#request-template')).toHaveValue(/"vip": true#end/);
  await expect(page.locator('#passthrough')).toHaveValue('NEVER');
  await page.locator('#mapping-templates').screenshot({ path: `${SHOTS}/63-mapping-templates.png` });
  expect(problems).toEqual([]);
});
