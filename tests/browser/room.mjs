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

  // The host starts early: both are in the welcome at once.
  await host.getByRole('button', { name: 'Start now' }).click();
  for (const p of [host, member]) await p.locator('#phase-kind', { hasText: 'Welcome' }).waitFor();
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

  // The host's pause stops both.
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

  // A breakout table proposed in the first focus block.
  await member.getByLabel('Topic').fill('Methods sections');
  await member.getByRole('button', { name: 'Propose a table' }).click();
  await host.locator('#tables', { hasText: 'Methods sections' }).waitFor();
  await host.getByRole('button', { name: 'Join Methods sections' }).click();
  await member.locator('#tables li', { hasText: 'host, member' }).or(member.locator('#tables li', { hasText: 'member, host' })).waitFor();

  // Shared notes from both sides at once: both lines land.
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
  await member.setViewportSize({ width: 390, height: 844 });
  await member.screenshot({ path: `${shots}room-member-phone.png`, fullPage: true });
  await member.setViewportSize({ width: 1280, height: 900 });

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
