// Shared by the browser flows: Debian's chromium via playwright-core, and
// axe-core run on every page visited.

import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const shots = new URL('./artifacts/', import.meta.url).pathname;
mkdirSync(shots, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

let checked = 0;
export const pagesChecked = () => checked;

/** Runs axe-core on the page; fails on any serious or critical violation. Saves a screenshot. */
export async function audit(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const text = bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`).join('\n');
  assert.equal(bad.length, 0, `axe-core on ${name} (${page.url()}):\n${text}`);
  await page.screenshot({ path: `${shots}${name}.png`, fullPage: true });
  checked += 1;
}

export async function person(browser, timezoneId, width = 1280) {
  const context = await browser.newContext({ timezoneId, viewport: { width, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => { throw new Error(`script error on ${page.url()}: ${e.message}`); });
  return page;
}

/** What a person does with the link in their mail: open it and confirm. */
export async function useLink(page, link) {
  await page.goto(link);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
