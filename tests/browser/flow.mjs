// A newcomer signs up through the link in the outbox, creates a community,
// and a second person joins it — in real headless Chromium, with axe-core run
// on every page visited. Run by tests/it/browser.rs, which starts the server
// and passes BASE_URL and ADMIN_LINK (a sign-in link for an instance admin).

import assert from 'node:assert/strict';
import { launch, audit, person as newPerson, useLink, pagesChecked } from './lib.mjs';

const base = process.env.BASE_URL;
const adminLink = process.env.ADMIN_LINK;
const browser = await launch();
const person = (tz, width) => newPerson(browser, tz, width);

try {
  // The instance admin signs in with the link `cowork admin create` printed.
  const admin = await person('UTC');
  await useLink(admin, adminLink);

  async function linkFor(email) {
    // The mail is sent by the job runner just after the request: look again until it is there (bounded).
    let mail;
    for (let i = 0; i < 50; i++) {
      await admin.goto(`${base}/admin/outbox`);
      mail = admin.locator('li.mail', { has: admin.locator('.to', { hasText: email }) }).first();
      if ((await mail.count()) > 0) break;
      await admin.waitForTimeout(100);
    }
    const body = await mail.locator('pre.body').innerText();
    const link = body.match(/https?:\/\/\S+\/signin\/link\?token=[0-9a-f]+/);
    assert.ok(link, `a sign-in link for ${email} in the outbox`);
    return link[0];
  }

  // A newcomer in New York arrives on the home page and asks for a link.
  const ada = await person('America/New_York');
  await ada.goto(base);
  await audit(ada, '01-home');
  await ada.getByRole('link', { name: 'Sign in or create an account' }).click();
  await audit(ada, '02-signin');
  await ada.getByLabel('E-mail address').first().fill('not an address');
  await ada.getByRole('button', { name: 'Send me a sign-in link' }).click();
  await ada.getByText('Enter an e-mail address like name@example.org.').first().waitFor();
  await audit(ada, '03-signin-error');
  await ada.getByLabel('E-mail address').first().fill('ada@example.org');
  await ada.getByRole('button', { name: 'Send me a sign-in link' }).click();
  await ada.getByRole('heading', { name: 'Check your inbox' }).waitFor();
  await audit(ada, '04-sent');

  const link = await linkFor('ada@example.org');
  await audit(admin, '05-outbox');
  await ada.goto(link);
  await audit(ada, '06-confirm-link');
  await ada.getByRole('button', { name: 'Sign in' }).click();

  // First visit: the browser's zone is proposed, and saved with the profile.
  await ada.getByRole('heading', { name: /Welcome to/ }).waitFor();
  const zone = ada.getByLabel('Time zone');
  assert.equal(await zone.inputValue(), 'America/New_York');
  await ada.getByText('Proposed from your browser: America/New_York').waitFor();
  await audit(ada, '07-profile-welcome');
  await ada.getByLabel('Display name').fill('Ada Okafor');
  await ada.getByLabel('Pronouns (optional)').fill('she/her');
  await ada.getByRole('button', { name: 'Save profile' }).click();
  await ada.getByText('Your profile is saved.').waitFor();
  assert.equal(await ada.getByLabel('Time zone').inputValue(), 'America/New_York');

  // She starts a community; a mistake is shown beside its field first.
  await ada.goto(`${base}/communities/new`);
  await audit(ada, '08-new-community');
  await ada.getByLabel('Name', { exact: true }).fill('Open Science Coworking');
  assert.equal(await ada.getByLabel('Address').inputValue(), 'open-science-coworking', 'the address is proposed from the name');
  await ada.getByLabel('Address').fill('Open Science!');
  await ada.getByLabel('Topics').fill('open science, documentation');
  await ada.getByLabel('Description').fill('Collaboration Cafes on the **first and third Wednesday**.');
  await ada.getByRole('button', { name: 'Create community' }).click();
  await ada.locator('#e-slug').waitFor();
  await audit(ada, '09-new-community-error');
  await ada.getByLabel('Address').fill('open-science');
  await ada.getByRole('button', { name: 'Create community' }).click();
  await ada.getByText('Your community is ready.').waitFor();
  await ada.getByRole('heading', { name: 'Open Science Coworking' }).waitFor();
  await audit(ada, '10-community');
  await ada.getByRole('link', { name: 'Invite links' }).click();
  await audit(ada, '11-invites');

  // A second person in Tokyo, on a phone, finds it in the directory and joins.
  const bo = await person('Asia/Tokyo', 390);
  await bo.goto(`${base}/signin`);
  await bo.getByLabel('E-mail address').first().fill('bo@example.org');
  await bo.getByRole('button', { name: 'Send me a sign-in link' }).click();
  await bo.getByRole('heading', { name: 'Check your inbox' }).waitFor();
  await useLink(bo, await linkFor('bo@example.org'));
  await bo.getByRole('button', { name: 'Save profile' }).click();
  await bo.goto(`${base}/communities`);
  await bo.getByLabel('Search by name or topic').fill('open science');
  await bo.getByRole('button', { name: 'Search' }).click();
  await audit(bo, '12-directory-phone');
  await bo.getByRole('link', { name: 'Open Science Coworking' }).click();
  await bo.getByRole('link', { name: 'Join', exact: true }).click();
  await audit(bo, '13-join-phone');
  await bo.getByRole('button', { name: 'Join Open Science Coworking' }).click();
  await bo.getByText('Please read the code of conduct and tick the box').first().waitFor();
  await bo.getByLabel('I have read the code of conduct and agree to follow it.').check();
  await bo.getByRole('button', { name: 'Join Open Science Coworking' }).click();
  await bo.getByText("Welcome! You're now a member.").waitFor();
  await audit(bo, '14-joined-phone');

  // The owner sees the new member and makes them a host.
  await ada.goto(`${base}/c/open-science/members`);
  await ada.getByText('2 members').waitFor();
  await ada.getByLabel('Role of Bo').selectOption('host');
  await ada.getByRole('button', { name: 'Change role of Bo' }).click();
  await ada.locator('.people .badge.role-host').waitFor();
  await audit(ada, '15-members');
  await ada.goto(`${base}/`);
  await audit(ada, '16-my-communities');
  await ada.goto(`${base}/no-such-page`);
  await audit(ada, '17-not-found');

  console.log(`browser flow: ${pagesChecked()} pages checked with axe-core, no serious or critical violations`);
} finally {
  await browser.close();
}
