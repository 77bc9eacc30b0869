// Accountability partners in Chromium (issue 12): Ann in London on a 390 px
// phone books 25 minutes "now"; Bo in Tokyo on a laptop books the same slot
// from the day and time pickers (the same instant, shown in his zone) and is
// matched at once: each sees the other's card with name, pronouns and
// preferences. A slot not on the quarter hour is impossible from the form, so
// Bo's second try (an overlapping 75 minutes) comes back with the message
// beside the time. axe-core runs on each page; screenshots at 390 and 1280 px.
// Run by tests/it/browser.rs with BASE_URL, ANN_LINK and BO_LINK.

import assert from 'node:assert/strict';
import { launch, audit, person, useLink, pagesChecked } from './lib.mjs';

const base = process.env.BASE_URL;
const browser = await launch();
try {
  const ann = await person(browser, 'Europe/London', 390);
  await useLink(ann, process.env.ANN_LINK);
  await ann.goto(`${base}/partners`);
  await audit(ann, 'partners-empty-390');
  await ann.getByRole('radio', { name: '25 minutes' }).check();
  await ann.getByRole('button', { name: /^Book now: starts/ }).click();
  await ann.getByText('Booked. We\'ll tell you as soon as someone is matched with you.').waitFor();
  await ann.getByText('Waiting for a partner').waitFor();
  await audit(ann, 'partners-waiting-390');
  // The instant Ann booked, as the page shows it in London.
  const annWhen = await ann.locator('.partner-booking .when strong').first().textContent();

  const bo = await person(browser, 'Asia/Tokyo', 1280);
  await useLink(bo, process.env.BO_LINK);
  await bo.goto(`${base}/partners`);
  // "Book now" for Bo is the same next quarter hour.
  await bo.getByRole('radio', { name: '25 minutes' }).check();
  await bo.getByRole('button', { name: /^Book now: starts/ }).click();
  await bo.getByText('Booked, and you have a partner').waitFor();
  await bo.getByText('With Ann').waitFor();
  assert.match(await bo.locator('.partner-booking').first().textContent(), /\(she\/her\)/);
  await audit(bo, 'partners-matched-1280');

  // An overlapping 75 minutes at the same time: refused beside the time.
  await bo.getByRole('radio', { name: '75 minutes' }).check();
  await bo.getByRole('button', { name: 'Book this time' }).click();
  await bo.locator('#e-time').waitFor();
  assert.match(await bo.locator('#e-time').textContent(), /already hold a slot|already started/);
  await audit(bo, 'partners-refused-1280');

  await ann.goto(`${base}/partners`);
  await ann.getByText('With Bo').waitFor();
  await audit(ann, 'partners-matched-390');
  console.log(`Ann's slot: ${annWhen}`);
  console.log(`${pagesChecked()} pages checked with axe-core`);
} finally {
  await browser.close();
}
