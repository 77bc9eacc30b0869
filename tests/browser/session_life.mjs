// A session's life in Chromium: an organizer in London cancels next week's
// session with a word for the people going; a member in Kolkata on a phone
// finds the running drop-in first on her home page, marked "now", and one tap
// on "Join now" takes her into the live room. axe-core runs on every page.
// Run by tests/it/browser.rs with BASE_URL, ORGANIZER_LINK, MEMBER_LINK,
// RUNNING (a session started minutes ago) and LATER (one a week ahead).

import assert from 'node:assert/strict';
import { launch, audit, person, useLink, pagesChecked } from './lib.mjs';

const base = process.env.BASE_URL;
const browser = await launch();

try {
  const organizer = await person(browser, 'Europe/London');
  await useLink(organizer, process.env.ORGANIZER_LINK);
  await organizer.goto(`${base}/s/${process.env.LATER}`);
  await audit(organizer, '50-session-ahead');
  await organizer.getByRole('link', { name: 'Cancel this session…' }).click();
  await organizer.getByRole('heading', { name: /^Cancel “/ }).waitFor();
  assert.ok((await organizer.locator('form.card').innerText()).includes('The 1 person going will get an e-mail.'));
  await audit(organizer, '51-session-cancel');
  await organizer.getByLabel('A word to the people going (optional)').fill('The library is closed that day.');
  await organizer.getByRole('button', { name: 'Cancel this session' }).click();
  await organizer.getByText('This session is cancelled.').waitFor();
  assert.ok(await organizer.getByText('The library is closed that day.').isVisible());
  await audit(organizer, '52-session-cancelled');
  console.log('the organizer cancelled a session ahead');

  // A member in Kolkata, on a 390 px phone.
  const member = await person(browser, 'Asia/Kolkata', 390);
  await useLink(member, process.env.MEMBER_LINK);
  await member.goto(`${base}/`);
  const now = member.getByRole('heading', { name: 'Happening now in your communities' });
  await now.waitFor();
  const box = await now.boundingBox();
  assert.ok(box && box.y < 844, `"happening now" is on the first screen of a phone (at ${box && box.y} px)`);
  await audit(member, '53-home-happening-phone');
  await member.goto(`${base}/upcoming`);
  const listed = member.getByRole('heading', { name: 'Happening now' });
  await listed.waitFor();
  const at = await listed.boundingBox();
  assert.ok(at && at.y < 844, `on /upcoming too, "happening now" comes before the filters (at ${at && at.y} px)`);
  await audit(member, '54-upcoming-happening-phone');
  await member.getByRole('button', { name: /^Join now/ }).first().click();
  await member.waitForURL(`${base}/s/${process.env.RUNNING}/room`);
  console.log('join now led into the live room');

  // Her mail about the cancelled session, as the runner delivered it, is in the outbox.
  console.log(`pages checked with axe-core: ${pagesChecked()}`);
} finally {
  await browser.close();
}
