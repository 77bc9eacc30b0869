// Time zones people can find, in Chromium: a browser in India reports the
// legacy Asia/Calcutta and ends up with Asia/Kolkata; the zone field suggests
// zones as people type (keyboard and mouse), offers the matches when the text
// was not one zone, and does the same without JavaScript. Run by
// tests/it/browser.rs, which passes BASE_URL and three sign-in links for one
// newcomer (LINK_1280, LINK_390, LINK_NOJS).

import assert from 'node:assert/strict';
import { launch, audit, person, useLink, shots, pagesChecked } from './lib.mjs';

const base = process.env.BASE_URL;
const browser = await launch();

async function save(page) {
  await page.getByRole('button', { name: /^Save/ }).click();
}

try {
  const kavya = await person(browser, 'Asia/Calcutta');
  const reported = await kavya.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
  await useLink(kavya, process.env.LINK_1280);
  await kavya.getByRole('heading', { name: /Welcome to/ }).waitFor();
  const zone = kavya.getByRole('combobox', { name: 'Time zone' });
  await kavya.getByText('Proposed from your browser: Asia/Kolkata').waitFor();
  assert.equal(await zone.inputValue(), 'Asia/Kolkata', `chromium reported ${reported}; the current name is proposed`);
  await audit(kavya, 'zones-01-proposed');
  await kavya.getByLabel('Display name').fill('Kavya');
  await save(kavya);
  await kavya.getByText('Your profile is saved.').waitFor();
  assert.equal(await zone.inputValue(), 'Asia/Kolkata');

  // A city, chosen with the keyboard from the suggestions.
  await zone.fill('');
  await zone.pressSequentially('New York');
  const newYork = kavya.getByRole('option', { name: /New York, United States/ });
  await newYork.waitFor();
  assert.equal(await zone.getAttribute('aria-expanded'), 'true');
  await kavya.getByRole('status').filter({ hasText: /time zones? match/ }).waitFor({ state: 'attached' });
  await audit(kavya, 'zones-02-suggestions');
  await zone.press('ArrowDown');
  assert.equal(await zone.getAttribute('aria-activedescendant'), await newYork.getAttribute('id'));
  assert.equal(await newYork.getAttribute('aria-selected'), 'true');
  await zone.press('Enter');
  assert.equal(await zone.inputValue(), 'America/New_York');
  assert.equal(await zone.getAttribute('aria-expanded'), 'false');
  assert.ok(kavya.url().includes('/settings/profile'), 'Enter picked; it did not submit');

  // An offset, chosen with the mouse, and saved.
  await zone.fill('+05:30');
  await kavya.getByRole('option', { name: /Colombo, Sri Lanka/ }).click();
  assert.equal(await zone.inputValue(), 'Asia/Colombo');
  await save(kavya);
  await kavya.getByText('Your profile is saved.').waitFor();
  assert.equal(await zone.inputValue(), 'Asia/Colombo');

  // Sent without choosing: the matches come back beside the field.
  await zone.fill('CET');
  await zone.press('Escape');
  await save(kavya);
  await kavya.getByText('“CET” matches').first().waitFor();
  await audit(kavya, 'zones-03-choices');
  await kavya.getByRole('radio', { name: /Berlin, Germany/ }).check();
  assert.equal(await zone.inputValue(), 'Europe/Berlin', 'the field follows the choice');
  await save(kavya);
  await kavya.getByText('Your profile is saved.').waitFor();

  // The community and series forms search the same way.
  await kavya.goto(`${base}/communities/new`);
  const home = kavya.getByRole('combobox', { name: 'Home time zone' });
  await home.fill('kolkata');
  await kavya.getByRole('option', { name: /Kolkata, India/ }).waitFor();
  await audit(kavya, 'zones-07-community-suggestions');
  await kavya.goto(`${base}/c/chai-club/series/new`);
  const seriesZone = kavya.getByRole('combobox', { name: 'In the time zone' });
  await seriesZone.fill('EST');
  await kavya.getByRole('button', { name: 'Put it on the schedule' }).click();
  await kavya.getByText('“EST” matches').first().waitFor();
  await audit(kavya, 'zones-08-series-choices');

  // On a phone.
  const phone = await person(browser, 'Asia/Calcutta', 390);
  await useLink(phone, process.env.LINK_390);
  await phone.goto(`${base}/settings/profile`);
  const phoneZone = phone.getByRole('combobox', { name: 'Time zone' });
  await phoneZone.fill('Brazil');
  await phone.getByRole('option', { name: /Sao Paulo, Brazil/ }).waitFor();
  await audit(phone, 'zones-04-phone-suggestions');
  await phoneZone.press('Escape');
  await save(phone);
  await phone.getByText('“Brazil” matches').first().waitFor();
  await audit(phone, 'zones-05-phone-choices');

  // Without JavaScript: free text, and the matches to choose from.
  const context = await browser.newContext({ javaScriptEnabled: false, timezoneId: 'Asia/Calcutta', viewport: { width: 1280, height: 900 } });
  const plain = await context.newPage();
  await useLink(plain, process.env.LINK_NOJS);
  await plain.goto(`${base}/settings/profile`);
  await plain.getByLabel('Time zone', { exact: true }).fill('New York');
  await save(plain);
  await plain.getByText('Your profile is saved.').waitFor();
  assert.equal(await plain.getByLabel('Time zone', { exact: true }).inputValue(), 'America/New_York');
  await plain.getByLabel('Time zone', { exact: true }).fill('+05:30');
  await save(plain);
  await plain.getByText('“+05:30” matches').first().waitFor();
  await plain.screenshot({ path: `${shots}zones-06-no-javascript-choices.png`, fullPage: true });
  await plain.getByRole('radio', { name: /Kolkata, India/ }).check();
  await save(plain);
  await plain.getByText('Your profile is saved.').waitFor();
  assert.equal(await plain.getByLabel('Time zone', { exact: true }).inputValue(), 'Asia/Kolkata');

  console.log(`zones: chromium reported ${reported}; ${pagesChecked()} pages checked with axe-core`);
} finally {
  await browser.close();
}
