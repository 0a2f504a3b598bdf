// The wall screen (/kiosk) in headless Chromium, against a real server seeded by run.sh:
// the QR on the screenshot is read back in Node and a physician checks in with it; the
// screen says when it is offline and recovers; without a token it explains what to do.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import {
  BASE, CHROMIUM, CHROMIUM_ARGS, KIOSK_TOKEN, UUID_V4, accessToken, api, decodeQrPng, env,
  kioskCode, offset, shot, site, watchProblems,
} from './lib.mjs';

const PHONE = env('BROWSER_KIOSK_PHYSICIAN_PHONE');
const PASSWORD = env('CONSOLE_PASSWORD');

let browser;
const problems = [];
// Chromium logs each failed fetch; going offline on purpose makes some.
const EXPECTED = [/^Failed to load resource: net::ERR_INTERNET_DISCONNECTED/];

before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
});

async function wallScreen(label, hash) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  watchProblems(page, label, problems, EXPECTED);
  await page.goto(`${BASE}/kiosk${hash}`);
  return { context, page };
}

test('the kiosk page pins its inline script and style by hash', async () => {
  const res = await fetch(`${BASE}/kiosk`);
  assert.equal(res.status, 200);
  const csp = res.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+';/);
  assert.match(csp, /style-src 'sha256-[A-Za-z0-9+/=]+';/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.doesNotMatch(await res.text(), /innerHTML/);
});

test('a physician checks in with the QR read from a screenshot of the wall screen', async () => {
  const { context, page } = await wallScreen('kiosk', `#token=${encodeURIComponent(KIOSK_TOKEN)}`);
  const img = page.locator('#qr-img');
  await img.waitFor({ state: 'visible' });
  await page.locator('#site-name', { hasText: site.name }).waitFor();
  // The token is taken out of the address bar (and kept in localStorage).
  assert.equal(await page.evaluate(() => location.hash), '');
  assert.match(await page.locator('#countdown').textContent(), /^\d+$/);
  assert.match(await page.locator('#date').textContent(), /\d{4}年\d{1,2}月\d{1,2}日/);
  // The code opens the phone page itself; the screen says so instead of printing the address.
  assert.match(await page.locator('.instruction').textContent(), /扫一扫.*相机/);
  assert.equal(await page.locator('#mobile-url').count(), 0);
  assert.equal(await page.locator('#copy-link').isVisible(), true);

  const png = await page.screenshot({ type: 'png' });
  await shot(page, 'kiosk.png');
  const link = decodeQrPng(png);
  assert.ok(link, 'the QR on the screenshot reads');
  // A link to the phone page with the code in the fragment: any camera opens it.
  const prefix = `${BASE}/m/#c=`;
  assert.ok(link.startsWith(prefix), link);
  const payload = link.slice(prefix.length);
  assert.match(payload, /^[\x21-\x7e]{1,120}$/, 'an ASCII payload of at most 120 characters');
  // It is the code of the step the screen says it shows.
  const shown = Number(await img.getAttribute('data-step'));
  const now = await kioskCode();
  assert.ok(now.step === shown || now.step === shown + 1, `screen step ${shown}, server step ${now.step}`);
  if (now.step === shown) assert.equal(payload, now.payload);

  const token = await accessToken(PHONE, PASSWORD);
  const fix = offset(-30, 20);
  const res = await api('POST', '/api/v1/attendance/check-in', {
    token,
    body: {
      client_event_id: crypto.randomUUID(), qr_payload: link, device_id: 'kiosk-test-phone',
      location: { lat: fix.latitude, lon: fix.longitude, accuracy_m: 10, crs: 'wgs84', is_mock: false },
    },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.verdict, 'accepted');
  assert.match(res.body.visit_id, UUID_V4);
  assert.deepEqual(res.body.reasons, []);
  await context.close();
});

test('the wall screen says when it is offline and shows a fresh code when back', async () => {
  const { context, page } = await wallScreen('kiosk-offline', `#token=${encodeURIComponent(KIOSK_TOKEN)}`);
  await page.locator('#qr-img').waitFor({ state: 'visible' });
  const before = Number(await page.locator('#qr-img').getAttribute('data-step'));
  await context.setOffline(true);
  const banner = page.locator('#banner');
  await banner.waitFor({ state: 'visible' });
  assert.match(await banner.textContent(), /网络已断开.*offline/s);
  // The last code stays up: it may still be accepted.
  assert.equal(await page.locator('#qr-img').isVisible(), true);
  await shot(page, 'kiosk-offline.png');

  await context.setOffline(false);
  await banner.waitFor({ state: 'hidden' });
  const after = Number(await page.locator('#qr-img').getAttribute('data-step'));
  assert.ok(after >= before, `step ${before} then ${after}`);
  await context.close();
});

test('without a token the wall screen explains how to open it', async () => {
  const { context, page } = await wallScreen('kiosk-no-token', '');
  const fatal = page.locator('#fatal');
  await fatal.waitFor({ state: 'visible' });
  assert.match(await fatal.textContent(), /未设置签到屏令牌.*no kiosk token/s);
  assert.equal(await page.locator('#qr-img').isVisible(), false);
  await context.close();
});

test('a revoked or forged token blanks the screen', async () => {
  const { context, page } = await wallScreen('kiosk-forged', '#token=forged.token.value');
  await page.locator('#fatal', { hasText: '签到屏已停用或令牌无效' }).waitFor();
  assert.equal(await page.locator('#qr-img').isVisible(), false);
  await context.close();
});

test('no console errors, CSP violations or uncaught exceptions on the wall screen', () => {
  // The forged token's 401 is the one failure the last test provokes on purpose.
  const unexpected = problems.filter((p) => !/^kiosk-forged: console: Failed to load resource: the server responded with a status of 401/.test(p));
  assert.deepEqual(unexpected, []);
});
