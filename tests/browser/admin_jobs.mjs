// The job queue's admin page in Chromium, on a laptop and a 390 px phone: a
// mail that failed for good is listed with its last error, and Retry puts it
// back in the queue. axe-core runs on every page. Run by tests/it/browser.rs
// with BASE_URL, ADMIN_LINK and ADMIN_LINK2.

import assert from 'node:assert/strict';
import { launch, audit, person, useLink, pagesChecked } from './lib.mjs';

const base = process.env.BASE_URL;
const browser = await launch();

try {
  const phone = await person(browser, 'Europe/London', 390);
  await useLink(phone, process.env.ADMIN_LINK2);
  await phone.goto(`${base}/admin/jobs`);
  await phone.getByText('SMTP said 451: mailbox busy').waitFor();
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling on a phone (${width} px)`);
  await audit(phone, '80-admin-jobs-phone');

  const laptop = await person(browser, 'Europe/London');
  await useLink(laptop, process.env.ADMIN_LINK);
  await laptop.goto(`${base}/admin/jobs`);
  await audit(laptop, '81-admin-jobs');
  await laptop.getByRole('button', { name: /^Retry/ }).click();
  await laptop.getByText('The job is queued again and will run shortly.').waitFor();
  await audit(laptop, '82-admin-jobs-retried');
  console.log('the admin retried a dead job');
  console.log(`${pagesChecked()} pages checked with axe-core`);
} finally {
  await browser.close();
}
