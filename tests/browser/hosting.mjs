// Taking turns to host, and choosing a weekly digest, in Chromium. Hal, one
// of a series' two hosts, takes a session nobody hosts yet on a 390 px phone;
// the organizer assigns him another on a laptop; Mio chooses her community's
// weekly digest on the notifications page, at both widths. axe-core runs on
// every page. Run by tests/it/browser.rs with BASE_URL, HAL_LINK, ORGANIZER_LINK,
// MIO_LINK, MIO_LINK2, SESSION, OTHER_SESSION, COMMUNITY_NAME.

import assert from 'node:assert/strict';
import { launch, audit, person, useLink, pagesChecked } from './lib.mjs';

const base = process.env.BASE_URL;
const browser = await launch();
const noSidewaysScroll = async (page, what) => {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `${what}: no sideways scrolling on a phone (${width} px)`);
};

try {
  const hal = await person(browser, 'Europe/London', 390);
  await useLink(hal, process.env.HAL_LINK);
  await hal.goto(`${base}/s/${process.env.SESSION}`);
  await hal.getByText('Nobody is hosting this one yet.').waitFor();
  await audit(hal, '70-host-nobody-phone');
  await hal.getByRole('button', { name: "I'll host this one" }).click();
  await hal.getByText("You're hosting this one.").waitFor();
  assert.ok(await hal.getByText('Hosted by Hal').isVisible());
  await noSidewaysScroll(hal, 'the session page');
  await audit(hal, '71-host-taken-phone');
  console.log('Hal took a session');

  const organizer = await person(browser, 'Europe/London');
  await useLink(organizer, process.env.ORGANIZER_LINK);
  await organizer.goto(`${base}/s/${process.env.OTHER_SESSION}`);
  await organizer.getByLabel('Host of this session').selectOption({ label: 'Hal' });
  await organizer.getByRole('button', { name: 'Assign' }).click();
  await organizer.getByText('Hal is hosting this one.').waitFor();
  await audit(organizer, '72-host-assigned');
  console.log('the organizer assigned Hal');

  for (const width of [1280, 390]) {
    const mio = await person(browser, 'Asia/Tokyo', width);
    await useLink(mio, width === 1280 ? process.env.MIO_LINK : process.env.MIO_LINK2);
    await mio.goto(`${base}/settings/notifications`);
    const digest = mio.getByLabel(`Weekly digest of ${process.env.COMMUNITY_NAME}`);
    if (!(await digest.isChecked())) await digest.check();
    await mio.getByRole('button', { name: 'Save choices' }).click();
    await mio.getByText('Your choices are saved.').waitFor();
    assert.ok(await mio.getByLabel(`Weekly digest of ${process.env.COMMUNITY_NAME}`).isChecked());
    if (width === 390) await noSidewaysScroll(mio, 'the notifications page');
    await audit(mio, `73-notifications-digest-${width}`);
  }
  console.log('Mio chose the weekly digest');
  console.log(`${pagesChecked()} pages checked with axe-core`);
} finally {
  await browser.close();
}
