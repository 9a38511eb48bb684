// Accessibility, checked by axe-core on every page in light and dark mode
// (no serious or critical violation of WCAG 2 A/AA), plus the keyboard
// basics axe cannot see: a skip link first, and dialogs that keep focus
// inside, close on Esc and give focus back.
import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { DOC_SHOTS, allPages, hydrated, signIn } from './helpers';

/** A page's name in docs/screenshots: ids left out (`/apis/ID/stages/S/logs` → `stage-logs`). */
function shotName(path: string): string {
  if (path === '__login') return 'login';
  return path
    .replace(/^\/apis\/[a-z0-9]{10}\/stages\/[^/]+/, '/stage')
    .replace(/^\/apis\/[a-z0-9]{10}\/(models|responses)$/, '/api-$1')
    .replace(/^\/apis\/[a-z0-9]{10}$/, '/api')
    .replace(/^\/usage-plans\/[a-z0-9]+$/, '/usage-plan')
    .replace(/^\//, '')
    .replace(/\//g, '-');
}

test.describe.configure({ mode: 'serial' });

for (const scheme of ['light', 'dark'] as const) {
  test(`no serious or critical axe violations (${scheme})`, async ({ browser }) => {
    test.setTimeout(180_000);
    const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1360, height: 860 } });
    const page = await context.newPage();
    await signIn(page);
    const pages = await allPages(page);
    expect(pages.length).toBeGreaterThan(10);
    pages.push('__login');
    const found: string[] = [];
    for (const path of pages) {
      if (path === '__login') {
        await context.clearCookies();
        await page.goto('/login');
      } else {
        await page.goto(path);
      }
      await hydrated(page);
      // Every page as the docs show it (docs/console.md links them), rewritten by every run.
      if (scheme === 'light') await page.screenshot({ path: `${DOC_SHOTS}/page-${shotName(path)}.png`, fullPage: true });
      const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      for (const v of result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')) {
        found.push(`${path}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
      }
    }
    expect(found, found.join('\n')).toEqual([]);
    await context.close();
  });
}

test('keyboard: skip link, and a dialog that holds and returns focus', async ({ page }) => {
  await signIn(page);
  await page.goto('/apis');
  await hydrated(page);
  // The first Tab reaches the skip link, which moves focus to the content.
  await page.keyboard.press('Tab');
  const skip = page.locator('.skip-link');
  await expect(skip).toBeFocused();
  await expect(skip).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(page.locator('main#main')).toBeFocused();

  // The deploy dialog: focus starts inside, Tab cycles inside, Esc closes and
  // focus returns to the button that opened it.
  const api = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href') || '').find((h) => /^\/apis\/[a-z0-9]{10}$/.test(h)));
  await page.goto(api!);
  await hydrated(page);
  await page.click('#deploy-button');
  const dialog = page.locator('#deploy-form');
  await expect(dialog).toBeVisible();
  const inside = () => page.evaluate(() => !!document.activeElement && !!document.getElementById('deploy-form')?.contains(document.activeElement));
  expect(await inside()).toBe(true);
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    expect(await inside(), `after ${i + 1} Tab(s)`).toBe(true);
  }
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Shift+Tab');
    expect(await inside(), `after ${i + 1} Shift+Tab(s)`).toBe(true);
  }
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(page.locator('#deploy-button')).toBeFocused();
});
