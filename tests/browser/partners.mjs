// Accountability partners in Chromium (issue 12): Ann in Berlin on a 390 px
// phone books 50 minutes "now"; Bo in Toronto on a laptop books the same slot
// from the day and time pickers (the same instant, shown in his zone) and is
// matched at once: each sees the other's card with name, pronouns and
// preferences. A slot not on the quarter hour is impossible from the form, so
// Bo's second try (an overlapping 75 minutes) comes back with the message
// beside the time. Then both enter their pair's room: each sees the other
// come, Ann starts the timer, both post goals, they go through focus to
// check-out and mark their goals done, and Ann marks Bo a favourite.
// axe-core runs on each page; screenshots at 390 and 1280 px.
// Run by tests/it/browser.rs with BASE_URL, ANN_LINK and BO_LINK.

import assert from 'node:assert/strict';
import { launch, audit, person, useLink, pagesChecked } from './lib.mjs';

const base = process.env.BASE_URL;
const browser = await launch();
try {
  const ann = await person(browser, 'Europe/Berlin', 390);
  await useLink(ann, process.env.ANN_LINK);
  await ann.goto(`${base}/partners`);
  await audit(ann, 'partners-empty-390');
  await ann.getByRole('radio', { name: '50 minutes' }).check();
  await ann.getByRole('button', { name: /^Book now: starts/ }).click();
  await ann.getByText('Booked. We\'ll tell you as soon as someone is matched with you.').waitFor();
  await ann.getByText('Waiting for a partner').waitFor();
  await audit(ann, 'partners-waiting-390');
  // The instant Ann booked, as the page shows it in Berlin.
  const annWhen = await ann.locator('.partner-booking .when strong').first().textContent();

  const bo = await person(browser, 'America/Toronto', 1280);
  await useLink(bo, process.env.BO_LINK);
  await bo.goto(`${base}/partners`);
  // "Book now" for Bo is the same next quarter hour.
  await bo.getByRole('radio', { name: '50 minutes' }).check();
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

  // The pair's room: each comes in and sees the other come.
  await ann.getByRole('link', { name: "Enter your pair's room" }).click();
  await ann.locator('#pair-card', { hasText: 'Bo' }).waitFor();
  await ann.locator('#link-state', { hasText: /connected|live/i }).waitFor();
  await bo.goto(`${base}/partners`);
  await bo.getByRole('link', { name: "Enter your pair's room" }).click();
  await bo.locator('#pair-card .presence.here', { hasText: 'Came at' }).waitFor();
  await ann.reload();
  await ann.locator('#pair-card .presence.here', { hasText: 'Came at' }).waitFor();
  for (const p of [ann, bo]) await p.locator('#people', { hasText: 'Ann' }).waitFor();
  await bo.locator('#people', { hasText: 'Bo' }).waitFor();
  // No tables, shared notes or feedback to organizers in a pair's room.
  assert.ok(await bo.getByRole('button', { name: 'Tables' }).isHidden());
  assert.ok(await bo.getByRole('button', { name: 'Notes' }).isHidden());
  assert.ok(await bo.locator('#feedback-card').isHidden());

  // Either partner may start: Ann does, and both are in the goals step.
  await ann.getByRole('button', { name: 'Start now' }).click();
  for (const p of [ann, bo]) await p.locator('#phase-kind', { hasText: /welcome|goals/i }).waitFor();
  await ann.getByLabel('What will you work on in this session?').fill('Slides for Thursday');
  await ann.getByRole('button', { name: 'Add goal' }).click();
  await bo.getByLabel('What will you work on in this session?').fill('Answer the reviewers');
  await bo.keyboard.press('Enter');
  for (const p of [ann, bo]) {
    await p.locator('#goals', { hasText: 'Slides for Thursday' }).waitFor();
    await p.locator('#goals', { hasText: 'Answer the reviewers' }).waitFor();
  }
  await audit(ann, 'pair-room-goals-390');
  await audit(bo, 'pair-room-goals-1280');
  // Through focus to check-out.
  await ann.getByRole('button', { name: 'Skip to next' }).click();
  for (const p of [ann, bo]) await p.locator('#phase-kind', { hasText: /focus/i }).waitFor();
  await bo.getByRole('button', { name: 'Skip to next' }).click();
  for (const p of [ann, bo]) await p.locator('#checkout-prompt').waitFor({ state: 'visible' });
  await ann.getByLabel('How it went: Slides for Thursday').selectOption('done');
  await bo.getByLabel('How it went: Answer the reviewers').selectOption('partly');
  await bo.locator('#goals .goal.outcome-done', { hasText: 'Slides for Thursday' }).waitFor();
  await ann.locator('#goals .goal.outcome-partly', { hasText: 'Answer the reviewers' }).waitFor();
  await audit(ann, 'pair-room-check-out-390');
  await audit(bo, 'pair-room-check-out-1280');
  // Ann marks Bo a favourite from his card, and stays in the room.
  await ann.getByRole('button', { name: 'Favourite Bo' }).click();
  await ann.locator('#pair-card .badge', { hasText: 'Favourite' }).waitFor();
  assert.match(ann.url(), /\/s\/[^/]+\/room$/);
  console.log(`Ann's slot: ${annWhen}`);
  console.log(`${pagesChecked()} pages checked with axe-core`);
} finally {
  await browser.close();
}
