// Users and roles in a real browser: the admin adds an editor and a viewer;
// neither sees Users or the audit log, a viewer's forced write is refused,
// and the admin's audit log shows who did what.
import { test, expect, Browser, Page } from '@playwright/test';
import { SHOTS, hydrated, signIn } from './helpers';

test.describe.configure({ mode: 'serial' });

const OTHER_PASSWORD = 'another long password';

async function signInAs(browser: Browser, username: string, password: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
  const page = await context.newPage();
  await page.goto('/login');
  await hydrated(page);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await expect(page).toHaveURL(/\/apis$/);
  await hydrated(page);
  return page;
}

test('an admin adds an editor and a viewer', async ({ page }) => {
  await signIn(page);
  await page.getByRole('link', { name: 'Users', exact: true }).click();
  await expect(page).toHaveURL(/\/users$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();

  // A rule broken: shown under the form, nothing added.
  await page.fill('#new-username', 'ed');
  await page.fill('#new-password', 'short');
  await page.selectOption('#new-role', 'editor');
  await page.click('#create-user button[type=submit]');
  await expect(page.getByText('Password must be at least 12 characters long')).toBeVisible();
  await expect(page.locator('#users tbody tr')).toHaveCount(1);

  await page.fill('#new-password', OTHER_PASSWORD);
  await page.click('#create-user button[type=submit]');
  await expect(page.locator('tr[data-user="ed"]')).toBeVisible();
  await page.fill('#new-username', 'vi');
  await page.fill('#new-password', OTHER_PASSWORD);
  await page.selectOption('#new-role', 'viewer');
  await page.click('#create-user button[type=submit]');
  await expect(page.locator('tr[data-user="vi"]')).toBeVisible();
  await expect(page.locator('tr[data-user="vi"] select')).toHaveValue('viewer');
  await page.screenshot({ path: `${SHOTS}/70-users.png` });
});

test('a viewer reads but cannot change anything, even by forcing it', async ({ browser }) => {
  const page = await signInAs(browser, 'vi', OTHER_PASSWORD);
  await expect(page.locator('#current-role')).toHaveText('viewer');
  await expect(page.getByRole('link', { name: 'Account', exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Users', exact: true })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Audit log', exact: true })).toHaveCount(0);
  // No controls for what the role may not do, on any page.
  await expect(page.getByRole('heading', { level: 1, name: 'APIs' })).toBeVisible();
  await expect(page.locator('#api-table')).toContainText('releases');
  await expect(page.locator('#new-api')).toHaveCount(0);
  await expect(page.locator('#api-table').getByRole('button', { name: 'Delete' })).toHaveCount(0);

  // An API: the tree and a method's settings are there, read-only.
  await page.locator('#api-table').getByRole('link', { name: 'releases' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'releases' })).toBeVisible();
  await expect(page.locator('#deploy-button')).toHaveCount(0);
  await expect(page.locator('#add-resource-form')).toHaveCount(0);
  await expect(page.locator('#add-method-form')).toHaveCount(0);
  await expect(page.locator('.read-only-note').first()).toContainText('your role (viewer) can look but not change');
  await page.locator('.tree-row .verb', { hasText: 'GET' }).first().click();
  await expect(page.locator('#method-editor')).toBeVisible();
  await expect(page.locator('#save-method')).toHaveCount(0);
  await expect(page.locator('#tab-test')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Delete method' })).toHaveCount(0);
  await expect(page.locator('#api-key-required')).toBeDisabled();
  await page.screenshot({ path: `${SHOTS}/74-viewer-method.png` });

  // A stage: no rollback, no delete, variables shown but not editable.
  await page.locator('.stage-chip').first().click();
  await expect(page.locator('#deployment-history')).toBeVisible();
  await expect(page.locator('#deployment-history').getByRole('button')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Delete stage' })).toHaveCount(0);
  await expect(page.locator('#add-variable')).toBeHidden();
  await expect(page.locator('#stage-variables').getByRole('button', { name: 'Save variables' })).toHaveCount(0);

  // Keys and plans: listed, nothing to create, toggle or delete.
  await page.getByRole('link', { name: 'API keys', exact: true }).click();
  await expect(page.locator('#key-table')).toContainText('mobile-app');
  await expect(page.locator('#new-key')).toHaveCount(0);
  await expect(page.locator('#key-table button')).toHaveCount(0);
  await page.getByRole('link', { name: 'Usage plans', exact: true }).click();
  await expect(page.locator('#plan-table')).toContainText('bronze');
  await expect(page.locator('#new-plan')).toHaveCount(0);
  await expect(page.locator('#plan-table').getByRole('button')).toHaveCount(0);
  await page.locator('#plan-table').getByRole('link', { name: 'bronze' }).click();
  await expect(page.locator('#plan-title')).toHaveText('bronze');
  await expect(page.locator('#plan-name')).toBeDisabled();
  await expect(page.locator('#plan-save')).toHaveCount(0);
  await expect(page.locator('#delete-plan')).toHaveCount(0);
  await expect(page.locator('#add-key-form')).toHaveCount(0);
  await expect(page.locator('#plan-keys button')).toHaveCount(0);
  await page.screenshot({ path: `${SHOTS}/75-viewer-plan.png`, fullPage: true });

  // A write sent by hand is refused by the server, with the reason.
  const forced = await page.evaluate(async () => {
    const res = await fetch('/api/apis_create', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=sneaky&description=',
    });
    return { status: res.status, body: await res.text() };
  });
  expect(forced.status).toBe(403);
  expect(forced.body).toContain('Your role (viewer) cannot do this');

  // Typing the address of an admin page shows why it is empty.
  await page.goto('/users');
  await expect(page.locator('#role-gate')).toContainText('Only the admin role can manage users; you are signed in as viewer.');
  await expect(page.locator('#create-user')).toHaveCount(0);
  await page.screenshot({ path: `${SHOTS}/71-viewer-users-refused.png` });
});

test('an editor cannot reach Users, and changes their own password', async ({ browser }) => {
  const page = await signInAs(browser, 'ed', OTHER_PASSWORD);
  await expect(page.getByRole('link', { name: 'Users', exact: true })).toHaveCount(0);
  // An editor has the controls a viewer does not.
  await expect(page.locator('#new-api')).toBeVisible();
  await page.getByRole('link', { name: 'Account', exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator('#sessions tbody tr')).toHaveCount(1);
  await page.fill('#current-password', 'not my password');
  await page.fill('#account-new-password', 'a brand new password');
  await page.fill('#account-confirm', 'a brand new password');
  await page.click('#change-password button[type=submit]');
  await expect(page.getByText('The current password is wrong.')).toBeVisible();
  await page.fill('#current-password', OTHER_PASSWORD);
  await page.click('#change-password button[type=submit]');
  await expect(page.getByText('Password changed.')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/72-account.png` });
});

test('the audit log shows who changed what', async ({ page }) => {
  await signIn(page);
  await page.getByRole('link', { name: 'Audit log', exact: true }).click();
  await expect(page).toHaveURL(/\/audit$/);
  const rows = page.locator('#audit tbody tr');
  // Two users added, and the attempt with a short password (refused, 400) is there too.
  await expect(rows.filter({ hasText: 'user_create' })).toHaveCount(3);
  await expect(rows.filter({ hasText: 'password_change' }).first()).toContainText('ed');
  await expect(page.locator('#audit')).not.toContainText(OTHER_PASSWORD);
  await page.fill('#audit-user', 'ed');
  await page.press('#audit-user', 'Tab');
  await expect(rows.filter({ hasText: 'user_create' })).toHaveCount(0);
  await expect(rows.first()).toContainText('password_change');
  await page.screenshot({ path: `${SHOTS}/73-audit.png` });
});
