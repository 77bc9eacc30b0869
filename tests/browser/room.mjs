// Two people run a Weekly Coworking session together in the live room: a host
// in London and a member in Tokyo whose computer clock is 3 minutes fast.
// They must see the same step and the same time left; goals, chat and the
// host's pause reach both; then the host takes them through the whole agenda
// (goals, two focus blocks, a break, check-out) and the member gives feedback.

import assert from 'node:assert/strict';
import { launch, audit, person, useLink, pagesChecked, shots } from './lib.mjs';

const { BASE_URL, HOST_LINK, MEMBER_LINK, SESSION } = process.env;
const browser = await launch();
const room = `${BASE_URL}/s/${SESSION}/room`;

try {
  const host = await person(browser, 'Europe/London');
  await useLink(host, HOST_LINK);
  const member = await person(browser, 'Asia/Tokyo');
  // A clock 3 minutes fast: Date.now() and new Date() in every page of this context.
  await member.context().addInitScript(() => {
    const skew = 3 * 60 * 1000;
    const RealDate = Date;
    class SkewedDate extends RealDate {
      constructor(...a) { if (a.length === 0) super(RealDate.now() + skew); else super(...a); }
      static now() { return RealDate.now() + skew; }
    }
    globalThis.Date = SkewedDate;
  });
  await useLink(member, MEMBER_LINK);
  assert.ok(await member.evaluate(() => Date.now() - performance.timeOrigin - performance.now()) > 170000, 'the member clock is fast');

  // The session page leads into the room once it is open.
  await member.goto(`${BASE_URL}/s/${SESSION}`);
  await audit(member, 'room-session-page');
  await member.getByRole('link', { name: 'Enter the live room' }).click();
  await host.goto(room);
  for (const p of [host, member]) await p.locator('#link-state.connected').waitFor();
  // Both know each other is there.
  await host.locator('#people', { hasText: 'member' }).waitFor();
  await member.locator('#people', { hasText: 'host' }).waitFor();
  // The member's page has worked out that its clock is 3 minutes fast.
  await member.waitForFunction(() => Math.abs(Number(document.getElementById('room').dataset.offset) + 180000) < 2000);

  // Before the start both count down to it, and agree.
  const seconds = (t) => t.split(':').reduce((a, x) => a * 60 + Number(x), 0);
  async function agree(what) {
    const [a, b] = await Promise.all([host, member].map((p) => p.evaluate(() => [
      document.getElementById('phase-name').textContent,
      document.getElementById('countdown').textContent,
    ])));
    assert.equal(a[0], b[0], `${what}: same step`);
    assert.ok(Math.abs(seconds(a[1]) - seconds(b[1])) <= 1, `${what}: same time left (${a[1]} and ${b[1]})`);
    return a;
  }
  await agree('before the start');
  await audit(host, 'room-host-waiting');

  // The agenda as each page shows it, and a moment of this page's clock as it reads then.
  const agenda = (p) => p.evaluate(() => [...document.querySelectorAll('#agenda .at')].map((e) => e.textContent));
  const hhmm = (p, ms) => p.evaluate((ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }), ms);
  const plus = (t, min) => { const [h, m] = t.split(':').map(Number); const x = (h * 60 + m + min) % 1440; return `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}`; };
  const clocks = () => Promise.all([host, member].map((p) => p.evaluate(() => Date.now())));

  // The host starts early: both are in the welcome at once.
  const beforeStart = await clocks();
  await host.getByRole('button', { name: 'Start now' }).click();
  for (const p of [host, member]) await p.locator('#phase-kind', { hasText: 'Welcome' }).waitFor();
  const afterStart = await clocks();
  // The agenda starts when the host started, by each one's own clock (Tokyo's 3 minutes fast).
  const started = [];
  for (const [i, p] of [host, member].entries()) {
    const at = await agenda(p);
    const expect = [await hhmm(p, beforeStart[i]), await hhmm(p, afterStart[i])];
    assert.ok(expect.includes(at[0]), `the welcome began at the start: ${at[0]}, not ${expect}`);
    assert.equal(at[1], plus(at[0], 5), 'the first focus block follows the welcome');
    started.push(at[0]);
  }
  const [step] = await agree('after the start');
  assert.match(step, /welcome/i);
  // Screen readers hear the step change, politely.
  await member.locator('#announcer', { hasText: 'Welcome: Welcome and goals for 5 minutes.' }).waitFor();
  assert.equal(await member.locator('#announcer').getAttribute('aria-live'), 'polite');

  // A goal posted in Tokyo shows in London.
  await member.getByLabel('What will you work on in this session?').fill('Draft the methods section');
  await member.getByRole('button', { name: 'Add goal' }).click();
  await host.locator('#goals', { hasText: 'Draft the methods section' }).waitFor();
  await host.getByLabel('What will you work on in this session?').fill('Review two pull requests');
  await host.keyboard.press('Enter');
  await member.locator('#goals', { hasText: 'Review two pull requests' }).waitFor();
  // Chat, with a link made safe.
  await member.getByLabel('Message').fill('Hello from Tokyo! Notes at https://example.org/notes');
  await member.keyboard.press('Enter');
  const link = host.locator('#messages a', { hasText: 'https://example.org/notes' });
  await link.waitFor();
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer nofollow ugc');
  // A report is confirmed on the page once the server has it.
  host.once('dialog', (d) => d.accept('Testing the report'));
  await host.getByRole('button', { name: 'Report message by member' }).click();
  await host.locator('#chat-state', { hasText: 'Reported.' }).waitFor();
  await host.locator('#messages .msg', { hasText: 'Hello from Tokyo' }).getByText('Reported', { exact: true }).waitFor();

  // The host's pause stops both.
  await host.getByRole('button', { name: 'Skip to next' }).click();
  for (const p of [host, member]) await p.locator('#phase-kind', { hasText: 'Focus' }).waitFor();
  const skippedAt = await clocks();
  for (const [i, p] of [host, member].entries()) {
    const at = await agenda(p);
    // The welcome stays when it really began; focus began at the skip, and the break follows it.
    assert.equal(at[0], started[i], 'a past step keeps its real time');
    assert.ok([await hhmm(p, beforeStart[i]), await hhmm(p, skippedAt[i])].includes(at[1]), `focus began at the skip: ${at}`);
    assert.equal(at[2], plus(at[1], 25), `the break is projected from the skip: ${at}`);
  }
  // The host may take the skip back for a few seconds; only hosts are offered it.
  await host.locator('#undo-bar', { hasText: 'Skipped “Welcome and goals”.' }).waitFor();
  assert.ok(await member.locator('#undo-bar').isHidden());
  await host.getByRole('button', { name: 'Undo' }).click();
  for (const p of [host, member]) await p.locator('#phase-kind', { hasText: 'Welcome' }).waitFor();
  await member.locator('#messages', { hasText: 'host undid the skip' }).waitFor();
  assert.equal((await agenda(member))[0], started[1], 'undone: the welcome still began at the start');
  await host.getByRole('button', { name: 'Skip to next' }).click();
  for (const p of [host, member]) await p.locator('#phase-kind', { hasText: 'Focus' }).waitFor();
  await host.getByRole('button', { name: 'Pause' }).click();
  for (const p of [host, member]) await p.locator('#phase-kind', { hasText: 'paused' }).waitFor();
  const stopped = await agree('paused');
  await member.waitForTimeout(2200);
  const still = await agree('still paused');
  assert.equal(still[1], stopped[1], 'a paused timer does not move');
  await host.getByRole('button', { name: 'Resume' }).click();
  await member.locator('#phase-kind:not(:has-text("paused"))').waitFor();
  await agree('resumed');
  // Every screen redraws on the whole seconds of the time left, whatever its clock or
  // when it loaded: each has its next redraw due at the same server instant.
  const due = await Promise.all([host, member].map((p) => p.evaluate(() => ({
    endsAt: Number(document.getElementById('countdown').dataset.endsAt),
    redrawAt: Number(document.getElementById('room').dataset.redrawAt),
  }))));
  for (const d of due) {
    assert.ok(d.endsAt > 0 && d.redrawAt > 0, `scheduled: ${JSON.stringify(d)}`);
    assert.equal((d.endsAt - d.redrawAt) % 1000, 0, `redrawn on a whole second of the time left: ${JSON.stringify(d)}`);
  }
  assert.equal(due[0].endsAt, due[1].endsAt, 'the same end, by the server clock');
  assert.equal(due[0].redrawAt % 1000, due[1].redrawAt % 1000, 'the same instant within the second');
  // An extension says how much, and moves what follows.
  const beforeExtend = await agenda(member);
  await host.getByLabel('Minutes to add').selectOption('5');
  await host.getByRole('button', { name: 'Extend this step' }).click();
  await member.locator('#messages', { hasText: 'host gave this step 5 more minutes' }).waitFor();
  await member.waitForFunction((b) => document.querySelectorAll('#agenda .at')[2].textContent !== b, beforeExtend[2]);
  const extended = await agenda(member);
  assert.deepEqual(extended.slice(0, 2), beforeExtend.slice(0, 2), 'past steps stay');
  assert.equal(extended[2], plus(beforeExtend[2], 5), 'the break moves by 5 minutes');

  // A breakout table proposed in the first focus block; tables are one tap away.
  for (const p of [host, member]) await p.getByRole('button', { name: 'Tables', exact: true }).click();
  await member.getByLabel('Topic').fill('Methods sections');
  await member.getByRole('button', { name: 'Propose a table' }).click();
  await host.locator('#tables', { hasText: 'Methods sections' }).waitFor();
  await host.getByRole('button', { name: 'Join Methods sections' }).click();
  await member.locator('#tables li', { hasText: 'host, member' }).or(member.locator('#tables li', { hasText: 'member, host' })).waitFor();

  // Shared notes from both sides at once: both lines land.
  for (const p of [host, member]) await p.getByRole('button', { name: 'Notes', exact: true }).click();
  const notes = async (p, line) => {
    await p.locator('#notes').click();
    await p.keyboard.press('Control+End');
    await p.keyboard.type(`\n${line}`);
  };
  await Promise.all([notes(host, '- London: nothing lost'), notes(member, '- Tokyo: nothing lost')]);
  for (const p of [host, member]) {
    await p.waitForFunction(() => {
      const v = document.getElementById('notes').value;
      return v.includes('- London: nothing lost') && v.includes('- Tokyo: nothing lost');
    }, null, { timeout: 10000 });
  }

  await audit(member, 'room-member-focus');

  // On a phone in a focus block: a calm room, the timer kept in view, the goal field at hand.
  const phone = await person(browser, 'Asia/Tokyo', 390);
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.context().addCookies(await member.context().cookies());
  await phone.goto(room);
  await phone.locator('#link-state.connected').waitFor();
  await phone.locator('#phase-kind', { hasText: 'Focus' }).waitFor();
  const box = async (sel) => phone.locator(sel).boundingBox();
  assert.ok((await box('header.site')).height < 80, `the navigation is one bar: ${(await box('header.site')).height}px`);
  assert.ok(await phone.getByRole('link', { name: 'Communities', exact: true }).isHidden(), 'the links wait behind the menu');
  const goal = await box('#goal-text');
  assert.ok(goal.y + goal.height < 844, `the goal field is on the first screen: ${goal.y}`);
  for (const id of ['#chat-card', '#tables-card', '#notes-card']) assert.ok(await phone.locator(id).isHidden(), `calm: ${id} waits one tap away`);
  assert.equal(await phone.locator('#feedback-card').getAttribute('open'), null, 'feedback waits for the wrap-up');
  const height = await phone.evaluate(() => document.documentElement.scrollHeight);
  assert.ok(height < 2400, `not one long column: ${height}px`);
  await audit(phone, 'room-phone-focus');
  await phone.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  const timer = await box('#timer-card');
  assert.ok(timer.y >= -1 && timer.y < 10 && timer.height < 130, `the timer stays at the top: ${JSON.stringify(timer)}`);
  assert.ok(await phone.locator('#countdown').isVisible());
  await phone.screenshot({ path: `${shots}room-phone-scrolled.png` });
  // What is said meanwhile waits behind the Chat button, counted; one tap opens it, another the menu.
  await host.getByRole('button', { name: 'Chat', exact: true }).click();
  await host.getByLabel('Message').fill('Anyone for a table later?');
  await host.keyboard.press('Enter');
  await phone.getByRole('button', { name: 'Chat 1 new', exact: true }).waitFor();
  await phone.getByRole('button', { name: 'Chat', exact: false }).click();
  await phone.locator('#messages', { hasText: 'Anyone for a table later?' }).waitFor();
  await phone.getByLabel('Message').waitFor();
  await phone.getByText('Menu', { exact: true }).click();
  await phone.getByRole('link', { name: 'Communities', exact: true }).waitFor();
  await audit(phone, 'room-phone-menu');
  await phone.context().close();
  // The menu is a plain disclosure: it opens without JavaScript too.
  const bare = await (await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } })).newPage();
  await bare.goto(`${BASE_URL}/communities`);
  assert.ok(await bare.getByRole('link', { name: 'Upcoming' }).isHidden());
  await bare.getByText('Menu', { exact: true }).click();
  await bare.getByRole('link', { name: 'Upcoming' }).waitFor();
  await bare.context().close();

  // Through the rest of the agenda: the break, the second block, check-out.
  const kinds = [];
  for (let i = 0; i < 10; i++) {
    const k = await member.locator('#phase-kind').textContent();
    kinds.push(k);
    if (/discussion|wrap-up|close|finished/i.test(k)) break;
    await host.getByRole('button', { name: 'Skip to next' }).click();
    await member.waitForFunction((before) => document.getElementById('phase-kind').textContent !== before, k);
    await agree(`step ${i}`);
  }
  assert.ok(kinds.some((k) => /break/i.test(k)), `went through a break: ${kinds}`);
  assert.ok(kinds.filter((k) => /focus/i.test(k)).length >= 2, `two focus blocks: ${kinds}`);
  // Check-out: the member marks the goal done with a note.
  await member.getByLabel('How it went: Draft the methods section').selectOption('done');
  await member.getByLabel('Note on: Draft the methods section').fill('First draft written');
  await member.getByLabel('Note on: Draft the methods section').press('Tab');
  await host.locator('#goals .goal', { hasText: 'First draft written' }).waitFor();
  await host.locator('#goals .goal.outcome-done', { hasText: 'Draft the methods section' }).waitFor();
  // Feedback at the close.
  await member.getByLabel('4').check();
  await member.getByLabel('Anything to tell the organizers?').fill('Good pace, lovely people.');
  await member.getByRole('button', { name: 'Send feedback' }).click();
  await member.locator('#feedback-state', { hasText: 'Thank you' }).waitFor();
  await audit(member, 'room-member-wrap-up');
  await audit(host, 'room-host-wrap-up');
  // The host on a phone and a tablet at the wrap-up: check-out and feedback come first.
  for (const [width, name] of [[390, 'room-host-wrap-up-phone'], [820, 'room-host-wrap-up-tablet']]) {
    await host.setViewportSize({ width, height: 900 });
    await audit(host, name);
  }
  await host.setViewportSize({ width: 1280, height: 900 });

  // The organizer reads it; the member finds the session in their goals history.
  await host.goto(`${BASE_URL}/s/${SESSION}/feedback`);
  await host.locator('main', { hasText: 'Good pace, lovely people.' }).waitFor();
  await audit(host, 'room-feedback');
  await member.goto(`${BASE_URL}/me/history`);
  await member.locator('main', { hasText: 'First draft written' }).waitFor();
  await audit(member, 'room-history');
  await member.goto(`${BASE_URL}/s/${SESSION}/notes`);
  await member.locator('main', { hasText: 'Tokyo: nothing lost' }).waitFor();
  await audit(member, 'room-notes');

  console.log(`the room agreed between London and Tokyo; ${pagesChecked()} pages checked with axe-core`);
} finally {
  await browser.close();
}
