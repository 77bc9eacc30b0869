// Check-in at the door on a phone (issue 11). Through the JSON API an
// organizer puts a library with four seats and a coworking day there that
// starts within the hour (the door opens two hours before); two members say
// they're going, one bringing Sam. On a 390 px touch phone Amira opens the
// session and reads her pass (an inline SVG QR code and a XXXX-XXXX code);
// the organizer, on his phone, types her code at the door, checks Bruno (and
// Sam with him) in from the list and a walk-in, Wendy: four of four seats,
// so a fifth is refused. The place's daily log lists all four, and its CSV
// has Wendy. axe-core runs on the four pages at 390 px (no violations of any
// impact); screenshots at 1280 and 390 px go to SHOTS (default /tmp/shots).
// Run by tests/it/browser.rs with BASE_URL, SLUG, ORGANIZER_TOKEN, A_TOKEN,
// B_TOKEN, ORGANIZER_LINK and A_LINK.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { launch, audit, useLink, pagesChecked } from './lib.mjs';

const base = process.env.BASE_URL;
const slug = process.env.SLUG;
const shotDir = process.env.SHOTS || '/tmp/shots';
mkdirSync(shotDir, { recursive: true });
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function api(method, path, token, body) {
  const r = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Date and "HH:MM" in London a little over half an hour from now, on a five-minute mark. */
function soonInLondon() {
  const t = new Date(Math.ceil((Date.now() + 35 * 60_000) / 300_000) * 300_000);
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(t).map((p) => [p.type, p.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

/** A 390 px touch phone in London. */
async function phone(browser) {
  const context = await browser.newContext({
    timezoneId: 'Europe/London', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, acceptDownloads: true,
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => { throw new Error(`script error on ${page.url()}: ${e.message}`); });
  return page;
}

/** axe-core with every impact counted (lib's audit fails only on serious and critical). */
async function strictAxe(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const text = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`).join('\n');
  assert.equal(result.violations.length, 0, `axe-core on ${name} (${page.url()}):\n${text}`);
}

/** No sideways scrolling. */
async function fits(page, what) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  const view = page.viewportSize().width;
  assert.ok(width <= view, `${what}: no sideways scrolling at ${view} px (${width} px)`);
}

const browser = await launch();
try {
  // Set-up through the API.
  const orgToken = process.env.ORGANIZER_TOKEN;
  const place = await api('POST', `/communities/${slug}/places`, orgToken, {
    name: 'Central Library', kind: 'library', address: '2 Market Square', city: 'Oxford', country: 'GB', lat: 51.752, lon: -1.2577,
    time_zone: 'Europe/London', seats: 4, amenities: ['wifi', 'power'], access: ['step_free'],
  });
  const soon = soonInLondon();
  const series = await api('POST', `/communities/${slug}/series`, orgToken, {
    title: 'Library day', kind: 'coworking_day', place: 'in_person', place_id: place.id,
    start_date: soon.date, start_time: soon.time, time_zone: 'Europe/London', capacity: '10',
  });
  const { upcoming } = await api('GET', `/communities/${slug}/series/${series.id}`, orgToken);
  const sessionId = upcoming[0]?.id;
  assert.ok(sessionId, `the session of ${JSON.stringify(series)}`);
  assert.equal((await api('POST', `/sessions/${sessionId}/rsvp`, process.env.A_TOKEN)).status, 'going');
  assert.equal((await api('POST', `/sessions/${sessionId}/rsvp?guest_name=Sam`, process.env.B_TOKEN)).status, 'going');
  console.log(`Library day ${sessionId} at ${soon.date} ${soon.time} Europe/London in place ${place.id}`);

  const pages = [];
  const shoot = async (page, name) => {
    await strictAxe(page, name);
    await audit(page, `checkin-${name}-390`);
    await fits(page, name);
    await page.screenshot({ path: `${shotDir}/${name}-390.png`, fullPage: true });
    pages.push([page, name, page.url()]);
  };

  // Amira's pass on her phone.
  const amira = await phone(browser);
  await useLink(amira, process.env.A_LINK);
  await amira.goto(`${base}/s/${sessionId}`);
  const pass = amira.locator('section.pass');
  await pass.getByRole('heading', { name: 'Your check-in pass' }).waitFor();
  assert.equal(await pass.locator('.qr svg').count(), 1, 'an inline SVG QR code');
  const qr = await pass.locator('.qr svg').boundingBox();
  assert.ok(qr.width >= 160 && qr.width <= 390, `the QR code is scannable and fits the phone (${qr.width} px)`);
  const code = (await pass.locator('.pass-code strong').innerText()).trim();
  assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}$/, 'a code like 7KQ4-M2XD');
  await shoot(amira, 'session');

  // The organizer at the door, on his phone.
  const host = await phone(browser);
  await useLink(host, process.env.ORGANIZER_LINK);
  await host.goto(`${base}/s/${sessionId}/checkin`);
  await host.getByRole('heading', { name: 'Check-in', exact: true }).waitFor();
  const expected = host.locator('#expected li');
  assert.equal(await expected.filter({ hasText: 'Amira Khan' }).count(), 1, 'Amira is expected');
  assert.equal(await expected.filter({ hasText: 'Bruno Silva' }).count(), 1, 'Bruno is expected');
  assert.ok((await expected.filter({ hasText: 'Bruno Silva' }).innerText()).includes('Sam'), 'with his guest');
  await host.getByLabel('Code', { exact: true }).fill(code.toLowerCase());
  await host.locator('#code-form').getByRole('button', { name: 'Check in' }).click();
  await host.locator('#notice').filter({ hasText: 'Checked in: Amira Khan' }).waitFor();
  assert.equal(await expected.filter({ hasText: 'Amira Khan' }).locator('.badge', { hasText: 'In' }).count(), 1, 'Amira is in');

  await expected.filter({ hasText: 'Bruno Silva' }).getByRole('button', { name: 'Check in Bruno Silva' }).tap();
  await host.locator('#notice').filter({ hasText: 'Checked in: Bruno Silva and Sam' }).waitFor();

  await host.getByLabel('Name', { exact: true }).fill('Walk-In Wendy');
  await host.getByLabel('E-mail (optional)').fill('wendy@example.org');
  await host.getByRole('button', { name: 'Check in the walk-in' }).tap();
  await host.locator('#notice').filter({ hasText: 'Checked in: Walk-In Wendy' }).waitFor();
  const seats = (await host.locator('.door-count').innerText()).replace(/\s+/g, ' ');
  assert.ok(seats.includes('4 of 4 seats checked in today'), `the place is full: ${seats}`);

  await host.getByLabel('Name', { exact: true }).fill('Late Larry');
  await host.getByRole('button', { name: 'Check in the walk-in' }).tap();
  await host.locator('#form-errors').filter({ hasText: 'All 4 seats of the day are taken' }).waitFor();
  const beside = host.locator('p.error', { hasText: 'All 4 seats of the day are taken' });
  assert.ok(await beside.count() >= 1, 'the refusal is also beside a form');
  console.log(`refused beside: ${await beside.first().evaluate((e) => e.closest('section')?.querySelector('h2')?.textContent)}`);
  await host.goto(`${base}/s/${sessionId}/checkin`);
  await shoot(host, 'checkin');

  // The place and its daily log.
  await host.goto(`${base}/places/${place.id}`);
  await host.getByRole('heading', { name: 'Central Library' }).waitFor();
  await shoot(host, 'place');
  await host.getByRole('link', { name: 'Daily log' }).click();
  await host.getByRole('heading', { name: 'Daily log' }).waitFor();
  const rows = await host.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.innerText.trim())));
  const byName = Object.fromEntries(rows.map((r) => [r[1].split(/\s/).slice(0, 2).join(' '), r]));
  for (const n of ['Amira Khan', 'Bruno Silva', 'Walk-In Wendy']) assert.ok(byName[n], `${n} in the log: ${JSON.stringify(rows)}`);
  const sam = rows.find((r) => r[1].startsWith('Sam'));
  assert.ok(sam && sam[2] === 'Bruno Silva', `Sam, guest of Bruno: ${JSON.stringify(rows)}`);
  assert.equal(rows.length, 4, 'four came, the fifth was refused');
  await shoot(host, 'daily-log');
  const csvHref = await host.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
  const csv = await host.request.get(new URL(csvHref, host.url()).href);
  assert.equal(csv.status(), 200);
  assert.match(csv.headers()['content-type'], /^text\/csv/);
  const csvText = await csv.text();
  assert.ok(csvText.includes('Walk-In Wendy') && csvText.includes('"Sam"'), csvText);
  const [download] = await Promise.all([host.waitForEvent('download'), host.getByRole('link', { name: 'Download CSV' }).click()]);
  assert.ok(readFileSync(await download.path(), 'utf8').includes('Walk-In Wendy'), 'the downloaded file has Wendy');

  // The same four pages on a laptop.
  for (const [page, name, url] of pages) {
    const laptop = await browser.newContext({ timezoneId: 'Europe/London', viewport: { width: 1280, height: 900 }, storageState: await page.context().storageState() });
    const p = await laptop.newPage();
    await p.goto(url);
    await strictAxe(p, `${name}-1280`);
    await fits(p, name);
    await p.screenshot({ path: `${shotDir}/${name}-1280.png`, fullPage: true });
    await laptop.close();
  }

  // The other pages of in-person coworking, on a phone: the place form and list, a
  // member's day form, the schedule, and a visitor's registration.
  for (const path of ['/me/places/new', '/me/places', `/c/${slug}/series/new?kind=coworking_day`, `/c/${slug}/schedule`]) {
    await host.goto(`${base}${path}`);
    await strictAxe(host, path);
    await fits(host, path);
  }
  const visitor = await phone(browser);
  await visitor.goto(`${base}/s/${sessionId}/register`);
  await visitor.getByRole('heading', { name: /Register for/ }).waitFor();
  await strictAxe(visitor, 'register');
  await visitor.getByRole('button', { name: 'Mail me the link' }).click();
  await visitor.locator('#form-errors').waitFor();
  await strictAxe(visitor, 'register-with-errors');
  await fits(visitor, 'register');
  await visitor.context().close();

  console.log(`checkin flow: the door checked in four and refused a fifth; ${pagesChecked()} pages checked with axe-core, no violations`);
} finally {
  await browser.close();
}
