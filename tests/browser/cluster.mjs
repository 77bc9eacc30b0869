// Two people in one live room, each through a load balancer (nginx) whose
// first choice is another node: London on node A, Tokyo on node B. They chat;
// then node A is killed (kill -9). London's page reconnects through the
// balancer to node B and both carry on, with nothing missing.

import assert from 'node:assert/strict';
import { launch, person, useLink, shots } from './lib.mjs';

const { URL_A, URL_B, LINK_A, LINK_B, SESSION, PID_A } = process.env;
const browser = await launch();
// A sign-in link names the instance's public address; each person uses their own balancer.
const through = (link, base) => base + new URL(link).pathname + new URL(link).search;

try {
  const london = await person(browser, 'Europe/London');
  await useLink(london, through(LINK_A, URL_A));
  const tokyo = await person(browser, 'Asia/Tokyo', 390);
  await useLink(tokyo, through(LINK_B, URL_B));
  await london.goto(`${URL_A}/s/${SESSION}/room`);
  await tokyo.goto(`${URL_B}/s/${SESSION}/room`);
  for (const p of [london, tokyo]) await p.locator('#link-state.connected').waitFor();
  await london.locator('#people', { hasText: 'tokyo' }).waitFor();
  await tokyo.locator('#people', { hasText: 'london' }).waitFor();

  async function say(page, text) {
    await page.getByLabel('Message').fill(text);
    await page.keyboard.press('Enter');
  }
  async function everyoneSees(texts) {
    for (const p of [london, tokyo]) {
      for (const t of texts) await p.locator('#messages .msg', { hasText: t }).waitFor({ timeout: 15000 });
    }
  }
  await say(london, 'Good morning from London');
  await say(tokyo, 'Good evening from Tokyo');
  await everyoneSees(['Good morning from London', 'Good evening from Tokyo']);

  // Node A dies.
  process.kill(Number(PID_A), 'SIGKILL');
  const killed = Date.now();
  await london.locator('#link-state.connecting').waitFor({ timeout: 10000 });
  await london.locator('#link-state.connected').waitFor({ timeout: 15000 });
  console.log(`London was back ${Date.now() - killed} ms after node A was killed`);
  // Both carry on, and nothing said before is missing.
  await say(london, 'Still here after the node went');
  await say(tokyo, 'Me too');
  const all = ['Good morning from London', 'Good evening from Tokyo', 'Still here after the node went', 'Me too'];
  await everyoneSees(all);
  for (const p of [london, tokyo]) {
    const shown = await p.locator('#messages .msg').allTextContents();
    for (const t of all) assert.equal(shown.filter((s) => s.includes(t)).length, 1, `${t} shown once`);
  }
  await london.screenshot({ path: `${shots}cluster-london-1280.png` });
  await tokyo.screenshot({ path: `${shots}cluster-tokyo-390.png` });
  console.log('two browsers on two nodes carried on after one was killed');
} finally {
  await browser.close();
}
