// Dialogs say what the server refused, where the user is looking, and
// behave as dialogs: focus moves in, Esc cancels.
import { test, expect } from '@playwright/test';
import { SHOTS, hydrated, signIn } from './helpers';

test('a refused delete is explained inside the dialog, and Esc closes it', async ({ page }) => {
  await signIn(page);
  await page.locator('#api-table').getByRole('link', { name: 'metered' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'metered' })).toBeVisible();
  await page.locator('.stage-chip', { hasText: 'dev' }).first().click();
  await hydrated(page);
  await page.getByRole('button', { name: 'Delete stage' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('Delete stage dev?');
  // Focus moves into the dialog, on Cancel.
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.click('#confirm-delete');
  // A usage plan covers the stage: the 409's reason is in the open dialog.
  await expect(dialog.locator('#confirm-error')).toContainText('Cannot delete stage dev: usage plan(s)');
  await expect(dialog.locator('#confirm-error')).toContainText('Remove it from those plans first.');
  await page.screenshot({ path: `${SHOTS}/80-delete-refused.png` });
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  // Nothing was deleted.
  await expect(page.locator('#deployment-history')).toBeVisible();
});
