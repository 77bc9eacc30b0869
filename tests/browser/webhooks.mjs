// Webhooks in Chromium: an organizer in London adds a generic endpoint. A URL
// that is not http(s) gets its error beside the field; a working one is saved
// after its test message, and its signing secret is shown once. On a 390 px
// phone the list stays readable. axe-core runs on every page.
// Run by tests/it/browser.rs with BASE_URL, ORGANIZER_LINK, SLUG and RECEIVER.

import assert from 'node:assert/strict';
import { launch, audit, person, useLink, pagesChecked } from './lib.mjs';

const base = process.env.BASE_URL;
const browser = await launch();

try {
  const organizer = await person(browser, 'Europe/London');
  await useLink(organizer, process.env.ORGANIZER_LINK);
  await organizer.goto(`${base}/c/${process.env.SLUG}`);
  await organizer.getByRole('link', { name: 'Webhooks' }).click();
  await organizer.getByRole('heading', { name: 'Webhooks' }).waitFor();
  await audit(organizer, '60-webhooks-empty');

  await organizer.getByLabel('Generic (signed JSON)').check();
  await organizer.getByLabel('Webhook URL').fill('ftp://example.org/hook');
  await organizer.getByRole('button', { name: 'Send a test message and save' }).click();
  await organizer.locator('#e-url').waitFor();
  assert.equal(await organizer.locator('#e-url').innerText(), 'Use an http:// or https:// URL.');
  await audit(organizer, '61-webhooks-bad-url');

  await organizer.getByLabel('Webhook URL').fill(`${process.env.RECEIVER}/in`);
  await organizer.getByLabel("The week's schedule, on Monday morning").check();
  await organizer.getByRole('button', { name: 'Send a test message and save' }).click();
  const secret = organizer.locator('#new-secret');
  await secret.waitFor();
  assert.match(await secret.innerText(), /^whsec_/);
  assert.equal(await organizer.locator('.webhook-list .badge').innerText(), 'working');
  await audit(organizer, '62-webhooks-saved');
  await organizer.goto(`${base}/c/${process.env.SLUG}/webhooks`);
  assert.equal(await organizer.locator('#new-secret').count(), 0, 'the secret is shown once');
  console.log('the organizer added a signed endpoint');

  const phone = await person(browser, 'Europe/London', 390);
  await useLink(phone, process.env.ORGANIZER_LINK2);
  await phone.goto(`${base}/c/${process.env.SLUG}/webhooks`);
  await phone.getByRole('button', { name: 'Turn off' }).click();
  await phone.locator('.webhook-list .badge', { hasText: 'turned off' }).waitFor();
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling on a phone (${width} px)`);
  await audit(phone, '63-webhooks-phone');
  console.log(`${pagesChecked()} pages checked with axe-core`);
} finally {
  await browser.close();
}
