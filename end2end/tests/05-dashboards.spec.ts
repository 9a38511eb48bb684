// Metrics and dashboards, end to end: an API with a 200, a 404 and a 500
// method, a known mix of calls through the gateway, and what the console
// shows for it — exact tile counts, charts, the per-method table (sorted,
// drilled into), a refresh without a reload, the all-stages overview, and
// the access log with filters and paging. The browser runs in Kolkata
// (UTC+05:30) so that "in the viewer's zone" is visible.
import { test, expect, Page, APIRequestContext } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { SHOTS, hydrated, signIn } from './helpers';

mkdirSync(SHOTS, { recursive: true });

test.describe.configure({ mode: 'serial' });
test.use({ timezoneId: 'Asia/Kolkata' });

/** Collects uncaught errors and console errors (a failed hydration shows up here). */
function watchForProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  return problems;
}

/** Adds GET to the selected resource, answering `status` from a mock. */
async function addMockGet(page: Page, status: string, body: string) {
  await page.selectOption('#new-verb', 'GET');
  await page.click('#add-method-form button[type=submit]');
  await page.locator('#integration-type label', { hasText: 'Mock' }).click();
  await page.fill('#mock-status', status);
  await page.fill('#mock-body', body);
  await page.click('#save-method');
  await expect(page.locator('#saved')).toBeVisible();
}

/** Creates a child of the root resource and selects it. */
async function addRootChild(page: Page, part: string) {
  await page.locator('.tree-node', { hasText: /^\/$/ }).click();
  await page.fill('#path-part', part);
  await page.click('#add-resource-form button[type=submit]');
  await expect(page.locator('.detail h2.mono', { hasText: `/${part}` })).toBeVisible();
}

/** Sends `n` GETs to `url` and checks each answered `status`. */
async function send(request: APIRequestContext, url: string, n: number, status: number) {
  for (let i = 0; i < n; i++) {
    const res = await request.get(url);
    expect(res.status()).toBe(status);
  }
}

const tile = (page: Page, id: string) => page.locator(`#${id} .tile-value`);

test('dashboards, drill-down, live refresh, overview and access log', async ({ page, request }) => {
  test.setTimeout(180_000);
  const problems = watchForProblems(page);
  await signIn(page);

  // GET / answers 200, GET /missing 404, GET /boom 500, all from mocks.
  await page.goto('/apis');
  await hydrated(page);
  await page.click('#new-api');
  await page.fill('#api-name', 'observed');
  await page.click('#create-api-form button[type=submit]');
  await expect(page).toHaveURL(/\/apis\/[a-z0-9]{10}$/);
  const apiId = page.url().split('/').pop()!;
  await addMockGet(page, '200', '{"ok": true}');
  await addRootChild(page, 'missing');
  await addMockGet(page, '404', '{"message": "no such pet"}');
  await addRootChild(page, 'boom');
  await addMockGet(page, '500', '{"message": "kaboom"}');
  await page.click('#deploy-button');
  await expect(page.locator('#deploy-new-stage')).toHaveValue('dev');
  await page.click('#deploy-submit');
  await expect(page).toHaveURL(/\/stages\/dev$/);
  await hydrated(page);
  const base = `${process.env.APIGW_GATEWAY_URL}/${apiId}/dev`;
  const dashboard = `/apis/${apiId}/stages/dev/dashboard`;

  // Before any call: the dashboard and the log say how to get traffic.
  await page.click('#stage-dashboard');
  await expect(page).toHaveURL(new RegExp(`${dashboard}$`));
  await expect(page.getByRole('heading', { name: 'No traffic yet' })).toBeVisible();
  await expect(page.locator('.empty-state')).toContainText(`curl ${base}/`);
  await page.screenshot({ path: `${SHOTS}/69-dashboard-no-traffic.png` });
  await page.click('#open-logs');
  await expect(page.getByRole('heading', { name: 'No requests yet' })).toBeVisible();

  // 20×200, 6×404, 3×500, and 2 calls no route matches (403, counted as 4XX).
  await send(request, `${base}/`, 20, 200);
  await send(request, `${base}/missing`, 6, 404);
  await send(request, `${base}/boom`, 3, 500);
  await send(request, `${base}/nowhere`, 2, 403);
  await page.waitForTimeout(500);

  await page.goto(dashboard);
  await hydrated(page);
  await expect(tile(page, 'tile-count')).toHaveText('31');
  await expect(tile(page, 'tile-4xx')).toHaveText('8');
  await expect(tile(page, 'tile-5xx')).toHaveText('3');
  await expect(tile(page, 'tile-error-rate')).toHaveText('35.5%');
  // The gateway's own answers, by reason: the two calls no route matched
  // (the 404s and 500s came from the integration, so they have none).
  const reasons = page.locator('#reason-table tbody tr');
  await expect(reasons).toHaveCount(1);
  await expect(reasons.first()).toHaveAttribute('data-reason', 'NO_ROUTE');
  await expect(reasons.first().locator('td').nth(1)).toHaveText('2');
  await expect(tile(page, 'tile-p99')).toHaveText(/ms$/);
  // Mocks call no backend: integration latency has no data.
  await expect(tile(page, 'tile-int-p99')).toHaveText('—');
  await expect(page.locator('#range-1h')).toHaveClass(/seg-on/);
  await expect(page.locator('#updated-at')).toHaveText(/^Updated \d\d:\d\d:\d\d$/);
  for (const id of ['chart-count', 'chart-errors', 'chart-latency']) {
    await expect(page.locator(`#${id} svg`)).toHaveCount(1);
    await expect(page.locator(`#${id}`)).not.toContainText('no traffic yet');
  }
  await expect(page.locator('#chart-count svg')).toContainText('requests per minute');
  await expect(page.locator('#chart-integration')).toContainText('no backend calls');

  // One row per method, the unrouted calls included.
  const rows = page.locator('#method-table tbody tr');
  await expect(rows).toHaveCount(4);
  const noRoute = page.locator('#method-table tr[data-resource="(no route)"][data-method="GET"]');
  await expect(noRoute).toContainText('2');
  await expect(rows.first()).toHaveAttribute('data-resource', '/');
  await page.click('#sort-errors');
  await expect(rows.first()).toHaveAttribute('data-resource', '/missing');
  await expect(rows.nth(1)).toHaveAttribute('data-resource', '/boom');
  await page.click('#sort-calls');
  await expect(rows.first()).toHaveAttribute('data-resource', '/');
  await page.screenshot({ path: `${SHOTS}/70-dashboard-light.png`, fullPage: true });

  // The range is in the URL, so a reload keeps it.
  await page.click('#range-15m');
  await expect(page).toHaveURL(/\?range=15m$/);
  await expect(page.locator('#range-15m')).toHaveClass(/seg-on/);
  await page.reload();
  await hydrated(page);
  await expect(page.locator('#range-15m')).toHaveClass(/seg-on/);
  await expect(tile(page, 'tile-count')).toHaveText('31');
  // A week: hourly points, ticks on local midnights.
  await page.click('#range-7d');
  await expect(page.locator('#range-7d')).toHaveClass(/seg-on/);
  await expect(page.locator('#chart-count svg')).toContainText('requests per hour');
  await expect(tile(page, 'tile-count')).toHaveText('31');
  await page.screenshot({ path: `${SHOTS}/75-dashboard-7d.png`, fullPage: true });
  await page.click('#range-1h');
  await expect(page).toHaveURL(new RegExp(`${dashboard}$`));

  // Drill into GET /boom: its own numbers, and a way back.
  await page.locator('#method-table tr[data-resource="/boom"]').click();
  await expect(page).toHaveURL(/resource=%2Fboom&method=GET/);
  await expect(page.locator('#drill-bar')).toContainText('Showing GET /boom only');
  await expect(tile(page, 'tile-count')).toHaveText('3');
  await expect(tile(page, 'tile-5xx')).toHaveText('3');
  await expect(tile(page, 'tile-4xx')).toHaveText('0');
  await expect(page.locator('#method-table tr.current-row')).toHaveAttribute('data-resource', '/boom');
  await page.screenshot({ path: `${SHOTS}/71-dashboard-drill-down.png`, fullPage: true });
  await page.locator('#drill-bar a').click();
  await expect(page.locator('#drill-bar')).toHaveCount(0);
  await expect(tile(page, 'tile-count')).toHaveText('31');

  // New traffic shows up by itself within one refresh, without a page load.
  await page.evaluate(() => ((window as any).__sameDocument = true));
  await send(request, `${base}/`, 5, 200);
  await expect(tile(page, 'tile-count')).toHaveText('36', { timeout: 15_000 });
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);

  // Dark theme: the page and the charts follow the browser's preference.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.reload();
  await hydrated(page);
  await expect(tile(page, 'tile-count')).toHaveText('36');
  const darkChart = await page.locator('#chart-latency').innerHTML();
  expect(darkChart.toLowerCase()).not.toContain('#ffffff');
  await page.screenshot({ path: `${SHOTS}/72-dashboard-dark.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  // All stages at a glance.
  await page.locator('.sidebar .nav-link', { hasText: 'Dashboards' }).click();
  await expect(page).toHaveURL(/\/dashboards$/);
  const row = page.locator(`#overview tr[data-api="${apiId}"][data-stage="dev"]`);
  await expect(row).toContainText('observed');
  await expect(row.locator('.sparkline svg')).toHaveCount(1);
  await expect(row.locator('td').nth(3)).toHaveText('36');
  // 13 errors in 36 requests: red.
  await expect(row.locator('.rate')).toHaveClass(/rate-bad/);
  await page.screenshot({ path: `${SHOTS}/73-dashboards-overview.png`, fullPage: true });
  await expect(page.locator('#overview thead')).toContainText('requests per minute');
  // Every figure of a row covers the one range picked, kept in the URL, and
  // a row opens its own dashboard on that range.
  await page.locator('#range-24h').click();
  await expect(page).toHaveURL(/\/dashboards\?range=24h$/);
  await expect(page.locator('#overview thead')).toContainText('requests per 5 minutes');
  await expect(row.locator('td').nth(3)).toHaveText('36');
  await page.reload();
  await hydrated(page);
  await expect(page.locator('#range-24h')).toHaveClass(/seg-on/);
  await expect(row.locator('td').nth(3)).toHaveText('36');
  await row.locator('td').nth(2).click();
  await expect(page).toHaveURL(new RegExp(`${dashboard}\\?range=24h$`));
  await expect(page.locator('#range-24h')).toHaveClass(/seg-on/);

  // The access log: every call, newest first, in the viewer's zone.
  await page.goto(`/apis/${apiId}/stages/dev/logs`);
  await hydrated(page);
  const logRows = page.locator('#log-table tbody tr');
  await expect(logRows).toHaveCount(36);
  const first = logRows.first();
  const shown = await first.locator('td').first().innerText();
  const utc = await first.locator('td').first().getAttribute('title');
  const minutes = (s: string) => {
    const m = s.match(/(\d\d):(\d\d)/)!;
    return Number(m[1]) * 60 + Number(m[2]);
  };
  expect((minutes(shown) - minutes(utc!) + 1440) % 1440).toBe(330);

  await page.selectOption('#log-status', '5xx');
  await expect(logRows).toHaveCount(3);
  await expect(page.locator('#log-table .status-5xx')).toHaveCount(3);
  await page.selectOption('#log-status', '');
  await page.fill('#log-path', 'missing');
  await expect(logRows).toHaveCount(6);
  await page.fill('#log-path', 'nowhere');
  await page.press('#log-path', 'Enter');
  await expect(logRows).toHaveCount(2);
  await expect(logRows.first()).toContainText('(no route)');
  await expect(logRows.first().locator('.status')).toHaveText('403');
  await expect(logRows.first().locator('.reason-code')).toHaveText('NO_ROUTE');
  await page.fill('#log-path', 'no-such-path');
  await expect(page.getByRole('heading', { name: 'No requests match' })).toBeVisible();
  await page.click('#log-clear');
  await expect(logRows).toHaveCount(36);
  await expect(page).toHaveURL(new RegExp(`/stages/dev/logs$`));

  // Filters live in the URL: a reload (or a shared link) keeps them.
  await page.selectOption('#log-status', '4xx');
  await page.selectOption('#log-reason', 'NO_ROUTE');
  await expect(logRows).toHaveCount(2);
  await expect(page).toHaveURL(/\/logs\?status=4xx&reason=NO_ROUTE$/);
  await page.reload();
  await hydrated(page);
  await expect(page.locator('#log-status')).toHaveValue('4xx');
  await expect(page.locator('#log-reason')).toHaveValue('NO_ROUTE');
  await expect(logRows).toHaveCount(2);
  // The dashboard's breakdown links to the same filtered log.
  await page.goto(dashboard);
  await hydrated(page);
  await page.locator('#reason-table a.reason-code').click();
  await expect(page).toHaveURL(/\/logs\?reason=NO_ROUTE$/);
  await expect(logRows).toHaveCount(2);
  await page.click('#log-clear');
  await expect(logRows).toHaveCount(36);

  // Over 50 entries: pages of 50, older and back to the newest.
  await send(request, `${base}/`, 30, 200);
  await page.waitForTimeout(500);
  await page.click('#log-refresh');
  await expect(logRows).toHaveCount(50);
  await expect(page.locator('#log-newest')).toBeDisabled();
  await page.screenshot({ path: `${SHOTS}/74-access-log.png`, fullPage: true });
  await page.click('#log-older');
  await expect(logRows).toHaveCount(16);
  await expect(page.locator('#log-older')).toBeDisabled();
  await expect(page.locator('#log-page-info')).toContainText('Page 2');
  await page.click('#log-newest');
  await expect(logRows).toHaveCount(50);

  expect(problems).toEqual([]);
});
