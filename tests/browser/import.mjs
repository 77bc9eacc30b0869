// An organizer in New York moves her community's Google Calendar in: a weekly
// call begun in January 2025, with a removed date, a moved one and a cancelled
// one. After the upload she follows the report to the new series and sees each
// Tuesday at 10:00 her time, the exceptions marked, on a wide screen and a
// phone; ical.js (Mozilla's, independent of ours) reads the community feed back.
// axe-core runs on every page. Run by tests/it/browser.rs with BASE_URL,
// ORGANIZER_LINK and ICS_FILE.

import assert from 'node:assert/strict';
import ICAL from 'ical.js';
import { launch, audit, person, useLink, pagesChecked } from './lib.mjs';

const base = process.env.BASE_URL;
const browser = await launch();
const clockIn = (iso, timeZone) => new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
const weekdayIn = (iso, timeZone) => new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long' }).format(new Date(iso));

try {
  const organizer = await person(browser, 'America/New_York');
  await useLink(organizer, process.env.ORGANIZER_LINK);
  await organizer.goto(`${base}/c/cafe-club/import`);
  await audit(organizer, '40-import');
  await organizer.getByLabel(/Calendar file/).setInputFiles(process.env.ICS_FILE);
  await organizer.getByRole('button', { name: 'Import' }).click();
  await organizer.getByText(/1 repeating event became a series, with 3 dates cancelled, moved, changed or added/).waitFor();
  await audit(organizer, '41-import-done');

  await organizer.getByRole('link', { name: "Writers' Weekly Coworking" }).click();
  await organizer.getByText('Every week on Tuesday, at 10:00 America/New_York').waitFor();
  await audit(organizer, '42-imported-series');
  const items = await organizer.locator('li.session').evaluateAll((els) => els.map((li) => ({
    iso: li.querySelector('time').getAttribute('datetime'),
    shown: li.querySelector('time').textContent.trim(),
    title: li.querySelector('.what a').textContent.trim(),
    cancelled: li.classList.contains('cancelled'),
  })));
  assert.ok(items.length >= 28, `six months of Tuesdays (${items.length})`);
  assert.deepEqual(items.slice(0, 5).map((i) => i.cancelled), [false, true, false, true, false], 'the removed and the cancelled Tuesday are marked');
  const moved = items[2];
  assert.equal(moved.title, "Writers' Coworking (afternoon this week)");
  assert.deepEqual([weekdayIn(moved.iso, 'America/New_York'), moved.shown], ['Wednesday', '14:00']);
  for (const i of items.filter((x) => x.title === "Writers' Weekly Coworking")) {
    assert.equal(i.shown, clockIn(i.iso, 'America/New_York'), `${i.iso} shown in her zone`);
    assert.deepEqual([weekdayIn(i.iso, 'America/New_York'), i.shown], ['Tuesday', '10:00'], `${i.iso}`);
  }

  await organizer.setViewportSize({ width: 390, height: 900 });
  await audit(organizer, '43-imported-series-phone');
  await organizer.goto(`${base}/c/cafe-club/import`);
  await organizer.getByLabel(/Calendar file/).setInputFiles(process.env.ICS_FILE);
  await organizer.getByRole('button', { name: 'Import' }).click();
  await organizer.getByText(/imported before/).first().waitFor();
  await audit(organizer, '44-import-again-phone');

  // The community feed, read by ical.js: the same sessions, the exceptions kept.
  const feed = new ICAL.Component(ICAL.parse(await (await organizer.request.get(`${base}/c/cafe-club/calendar.ics`)).text()));
  for (const vtz of feed.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(new ICAL.Timezone(vtz));
  const events = feed.getAllSubcomponents('vevent').map((c) => new ICAL.Event(c));
  assert.equal(events.length, items.length);
  events.forEach((e, n) => {
    assert.equal(e.startDate.toJSDate().toISOString().replace('.000', ''), items[n].iso, `event ${n} starts as the page says`);
    assert.equal(e.component.getFirstPropertyValue('status'), items[n].cancelled ? 'CANCELLED' : 'CONFIRMED');
  });
  console.log(`import flow: ${events.length} imported sessions matched; ${pagesChecked()} pages checked with axe-core, no serious or critical violations`);
} finally {
  await browser.close();
}
