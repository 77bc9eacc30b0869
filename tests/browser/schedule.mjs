// An organizer in London plans a Collaboration Cafe on the first and third
// Wednesday at 15:00 Europe/London; a member in New York sees every session
// at the right New York time (either side of both countries' clock changes),
// says she's going and downloads the .ics. The community's feed is parsed by
// ical.js (Mozilla's, independent of ours) and compared occurrence by
// occurrence with the schedule. axe-core runs on every page.
// Run by tests/it/browser.rs with BASE_URL, ORGANIZER_LINK and MEMBER_LINK.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import ICAL from 'ical.js';
import { launch, audit, person, useLink, pagesChecked } from './lib.mjs';

const base = process.env.BASE_URL;
const browser = await launch();

/** "15:00" for an instant in a zone, as an independent clock (the browser's ICU). */
const clockIn = (iso, timeZone) => new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));

/** The first Wednesday of next month, as YYYY-MM-DD. */
function firstWednesdayNextMonth() {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  while (d.getUTCDay() !== 3) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

try {
  const organizer = await person(browser, 'Europe/London');
  await useLink(organizer, process.env.ORGANIZER_LINK);
  await organizer.goto(`${base}/c/cafe-club/series/new`);
  await audit(organizer, '20-series-new');
  await organizer.getByLabel('Title').fill('Collaboration Cafe');
  await organizer.getByLabel('Format').selectOption('builtin:collaboration-cafe');
  await organizer.getByLabel('First date').fill(firstWednesdayNextMonth());
  await organizer.getByLabel('Starts at').fill('15:00');
  await organizer.getByLabel('In the time zone').fill('Europe/London');
  await organizer.getByLabel('Monthly, on a weekday').check();
  await organizer.getByLabel('First', { exact: true }).check();
  await organizer.getByLabel('Third', { exact: true }).check();
  await organizer.getByLabel('Weekday', { exact: true }).selectOption('WE');
  await organizer.getByLabel('Video call link (online or hybrid)').fill('https://meet.jit.si/cafe-club-room');
  await organizer.getByLabel('Places', { exact: true }).fill('25');
  await organizer.getByRole('button', { name: 'Put it on the schedule' }).click();
  await organizer.getByText('Your sessions are on the schedule.').waitFor();
  await organizer.getByText('Every month on the first Wednesday and third Wednesday, at 15:00 Europe/London').waitFor();
  await audit(organizer, '21-series');
  const seriesUrl = organizer.url().split('?')[0];

  // A member in New York, whose profile zone is America/New_York.
  const member = await person(browser, 'America/New_York');
  await useLink(member, process.env.MEMBER_LINK);
  await member.goto(seriesUrl);
  const times = await member.locator('li.session .when time:first-of-type').evaluateAll((els) => els.map((e) => ({ iso: e.getAttribute('datetime'), shown: e.textContent.trim() })));
  assert.ok(times.length >= 11, `six months of first and third Wednesdays (${times.length})`);
  const nyHours = new Set();
  for (const t of times) {
    assert.equal(t.shown, clockIn(t.iso, 'America/New_York'), `${t.iso} shown in New York time`);
    assert.equal(clockIn(t.iso, 'Europe/London'), '15:00', `${t.iso} is 15:00 in London`);
    assert.equal(new Date(t.iso).getUTCDay(), 3, 'a Wednesday');
    nyHours.add(t.shown);
  }
  // Between the US change (second Sunday of March) and the UK one (last Sunday) the gap is 4 hours, not 5.
  console.log(`New York sees the Cafe at: ${[...nyHours].join(', ')}`);

  // The first session: times, RSVP, the .ics file.
  await member.locator('li.session .what a').first().click();
  await member.getByRole('heading', { name: 'Agenda' }).waitFor();
  const when = await member.locator('.when-big time').first().getAttribute('datetime');
  assert.ok((await member.locator('.when-big').innerText()).includes(clockIn(when, 'America/New_York')));
  assert.ok((await member.locator('.when-big').innerText()).includes('America/New_York'), 'the zone is named');
  assert.equal(await member.getByRole('link', { name: 'Join the video call' }).count(), 0, 'no video link before saying yes');
  await audit(member, '22-session');
  await member.getByRole('button', { name: "I'm going" }).click();
  await member.getByText("You're going").first().waitFor();
  assert.equal(await member.getByRole('link', { name: 'Join the video call' }).getAttribute('href'), 'https://meet.jit.si/cafe-club-room');
  await audit(member, '23-session-going');
  const [download] = await Promise.all([member.waitForEvent('download'), member.getByRole('link', { name: /Download \.ics/ }).click()]);
  const one = new ICAL.Component(ICAL.parse(readFileSync(await download.path(), 'utf8')));
  for (const vtz of one.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(new ICAL.Timezone(vtz));
  const ev = new ICAL.Event(one.getFirstSubcomponent('vevent'));
  assert.equal(ev.startDate.toJSDate().toISOString().replace('.000', ''), when, 'the downloaded file starts when the page says');
  assert.equal(ev.startDate.zone.tzid, 'Europe/London');
  assert.equal(ev.location, 'https://meet.jit.si/cafe-club-room', "a participant's file carries the link");

  // The community feed, read by ical.js, matches the schedule occurrence by occurrence.
  const feedText = await (await member.request.get(`${base}/c/cafe-club/calendar.ics`)).text();
  const feed = new ICAL.Component(ICAL.parse(feedText));
  for (const vtz of feed.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(new ICAL.Timezone(vtz));
  const events = feed.getAllSubcomponents('vevent').map((c) => new ICAL.Event(c));
  assert.equal(feed.getFirstPropertyValue('x-wr-calname'), 'Community cafe-club');
  assert.ok(events.length >= times.length);
  for (let i = 0; i < times.length; i += 1) {
    const start = events[i].startDate.toJSDate().toISOString().replace('.000', '');
    assert.equal(start, times[i].iso, `occurrence ${i} matches`);
    assert.equal((events[i].endDate.toJSDate() - events[i].startDate.toJSDate()) / 60000, 120, 'two hours');
    assert.ok(events[i].uid.length > 10);
    assert.equal(events[i].component.getFirstPropertyValue('status'), 'CONFIRMED');
  }

  for (const [path, name] of [['/c/cafe-club/schedule', '24-schedule'], ['/c/cafe-club/schedule?view=week', '25-week'], ['/me/schedule', '26-my-schedule'], ['/upcoming', '27-upcoming'], ['/c/cafe-club/formats', '28-formats']]) {
    await member.goto(`${base}${path}`);
    await audit(member, name);
  }
  const phone = await person(browser, 'Asia/Tokyo', 390);
  await phone.goto(seriesUrl);
  await phone.locator('li.session .what a').first().click();
  await audit(phone, '29-session-phone');
  await organizer.goto(`${base}/c/cafe-club/formats/new`);
  await audit(organizer, '30-format-new');

  console.log(`schedule flow: ${events.length} feed events matched; ${pagesChecked()} pages checked with axe-core, no serious or critical violations`);
} finally {
  await browser.close();
}
