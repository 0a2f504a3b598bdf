// The physician's page (/m/) in headless Chromium on a 360x740 phone screen, against a
// real server seeded by run.sh. The camera is Chromium's fake capture device playing Y4M
// footage of the kiosk's current QR code (code.svg rendered by Chromium), and the test
// sets the position: outside the fence (refused, said in plain words), inside (check-in,
// work logged, check-out), offline (queued, sent once when back), and a check-out whose
// answer is lost on the way (queued, retried with the same client_event_id, stored once).
//
// A rotating code is good once per physician, so every scan after an accepted one needs
// the next step's code: new footage and a new launch of Chromium on the same profile
// (the session, the device id and the offline queue live in its localStorage).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import {
  BASE, CHROMIUM, CHROMIUM_ARGS, UUID_V4, accessToken, api, env, footage, freshStep, kioskCode, offset, shot,
  site, watchProblems,
} from './lib.mjs';

const PHONE = env('BROWSER_MOBILE_PHONE');
const PASSWORD = env('CONSOLE_PASSWORD');
const PHYSICIAN_ID = env('BROWSER_MOBILE_PHYSICIAN_ID');
const NAME = env('BROWSER_MOBILE_NAME');
const ADMIN_PHONE = env('BROWSER_ADMIN_PHONE');
const ADMIN_PASSWORD = env('BROWSER_ADMIN_PASSWORD');

const ACCURACY_M = 8;
// About 900 m north of the centre of a 150 m fence.
const OUTSIDE = offset(900, 0);
// Distinct points inside: identical coordinates would be flagged `repeated_fix`.
const INSIDE = [offset(20, -15), offset(-25, 10), offset(35, 30), offset(-10, -40)];

/** The payload in a code that may be the phone page's URL (`…/m/#c=<payload>`). */
const bare = (code) => (code.includes('#c=') ? new URLSearchParams(code.slice(code.indexOf('#') + 1)).get('c') : code);

/** The offline queue as the page keeps it: IndexedDB `xiaxiang-m`, store `queue`. */
function queueOf(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const req = indexedDB.open('xiaxiang-m');
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('queue')) { db.close(); resolve([]); return; }
      const get = db.transaction('queue').objectStore('queue').getAll();
      get.onsuccess = () => { db.close(); resolve(get.result); };
      get.onerror = () => reject(get.error);
    };
  }));
}

let renderer;
let dir;
let profile;
let admin;
let physician;
const problems = [];
const EXPECTED = [
  // Refusals (422) and the wrong password (401) are answers the tests ask for.
  /^Failed to load resource: the server responded with a status of (401|404|422) /,
  // Offline, and the answer the test cuts off.
  /^Failed to load resource: net::ERR_(INTERNET_DISCONNECTED|CONNECTION_RESET|FAILED)/,
];

before(async () => {
  renderer = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  dir = mkdtempSync(join(tmpdir(), 'xiaxiang-camera-'));
  profile = mkdtempSync(join(tmpdir(), 'xiaxiang-phone-'));
  admin = await accessToken(ADMIN_PHONE, ADMIN_PASSWORD);
  physician = await accessToken(PHONE, PASSWORD);
});

after(async () => {
  await renderer?.close();
  for (const d of [dir, profile]) if (d) rmSync(d, { recursive: true, force: true });
});

/** A phone: Chromium whose camera plays `video` and whose position is `where`. */
async function launchPhone(video, where, label, url = `${BASE}/m/`) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...CHROMIUM_ARGS,
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${video.file}`,
    ],
    viewport: { width: 360, height: 740 },
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    permissions: ['geolocation', 'camera'],
    geolocation: { ...where, accuracy: ACCURACY_M },
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(30_000);
  watchProblems(page, label, problems, EXPECTED);
  await page.goto(url);
  return { context, page };
}

/** Taps `button` and returns the attendance call the page makes: what it sent and got. */
async function scan(page, button, action) {
  const answered = page.waitForResponse((r) => r.url() === `${BASE}/api/v1/attendance/${action}` && r.request().method() === 'POST');
  await page.locator(button).click();
  const response = await answered;
  return { status: response.status(), body: await response.json(), sent: response.request().postDataJSON() };
}

async function visits() {
  const res = await api('GET', `/api/v1/visits?physician_id=${PHYSICIAN_ID}`, { token: admin });
  assert.equal(res.status, 200);
  return res.body.items;
}

function assertBody(sent, video, where) {
  assert.match(sent.client_event_id, UUID_V4);
  assert.equal(sent.qr_payload, bare(video.payload), 'the payload read from the camera');
  assert.match(sent.device_id, /^web-/);
  assert.equal(sent.location.crs, 'wgs84');
  assert.equal(sent.location.is_mock, false);
  assert.equal(sent.location.accuracy_m, ACCURACY_M);
  assert.ok(Math.abs(sent.location.lat - where.latitude) < 1e-9 && Math.abs(sent.location.lon - where.longitude) < 1e-9);
  assert.ok(!Number.isNaN(Date.parse(sent.location.fix_time)));
}

test('the page and its decoder are served with a strict policy', async () => {
  const res = await fetch(`${BASE}/m/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  const csp = res.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self';/);
  assert.match(csp, /connect-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  assert.match(res.headers.get('permissions-policy'), /camera=\(self\), geolocation=\(self\)/);
  assert.doesNotMatch(await res.text(), /innerHTML/);
  const redirect = await fetch(`${BASE}/m`, { redirect: 'manual' });
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.get('location'), '/m/');
  const decoder = await fetch(`${BASE}/m/vendor/jsQR.js`);
  assert.equal(decoder.status, 200);
  assert.match(decoder.headers.get('content-type'), /^text\/javascript/);
  assert.match(await decoder.text(), /root\["jsQR"\] = factory\(\)/);
});

test('a physician scans in and out with the phone camera', async (t) => {
  let video;
  let phone;
  let visitId;

  await t.test('signs in on a 360 px screen and sees the day\'s assignment', async () => {
    await freshStep(-1);
    video = await footage(renderer, dir, 'code-1');
    phone = await launchPhone(video, OUTSIDE, 'phone-1');
    const { page } = phone;
    await page.locator('#login-view').waitFor({ state: 'visible' });
    await page.locator('#login-phone').fill(PHONE);
    await page.locator('#login-password').fill('not-the-password');
    await page.locator('#login-submit').click();
    await page.locator('#login-error', { hasText: '手机号或密码错误' }).waitFor();
    await page.locator('#login-password').fill(PASSWORD);
    await shot(page, 'm-01-login.png');
    await page.locator('#login-submit').click();
    await page.locator('#app-view').waitFor({ state: 'visible' });
    assert.match(await page.locator('#hello').textContent(), new RegExp(NAME));
    const assignment = page.locator(`#assignment-body .assignment[data-site-id="${site.id}"]`);
    await assignment.waitFor();
    assert.equal(await assignment.locator('.site-name').textContent(), site.name);
    assert.equal(await assignment.locator('.window').textContent(), '00:00–23:59');
    await page.locator('#visit-state', { hasText: '今天还未签到' }).waitFor();
    assert.equal(await page.locator('#btn-checkout').isDisabled(), true, '签退 waits for a check-in');
    const session = await page.evaluate(() => JSON.parse(localStorage.getItem('xiaxiang.m.session')));
    assert.equal(session.user.id, PHYSICIAN_ID);
    // Nothing is wider than the phone.
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 360);
    await shot(page, 'm-02-today.png');
  });

  await t.test('outside the fence the check-in is refused with the distance in plain words', async (t) => {
    const { page } = phone;
    const { status, body, sent } = await scan(page, '#btn-checkin', 'check-in');
    assert.equal(status, 422);
    assert.equal(body.code, 'outside_geofence');
    assertBody(sent, video, OUTSIDE);
    // The browser's BarcodeDetector read the camera where it has one, else the vendored
    // jsQR (headless Chromium on Linux has none, so this run exercises the fallback).
    const decoder = await page.evaluate(() => ({ used: document.body.dataset.decoder, native: 'BarcodeDetector' in window }));
    if (!decoder.native) assert.equal(decoder.used, 'jsqr');
    else assert.match(decoder.used, /^(jsqr|barcode-detector)$/);
    t.diagnostic(`QR decoder: ${decoder.used}`);
    const result = page.locator('#result[data-outcome="refused"][data-code="outside_geofence"]');
    await result.waitFor();
    const metres = Math.round(body.extra.distance_m);
    assert.ok(metres > 600 && metres < 900, `${metres} m outside`);
    assert.equal(await page.locator('#result-title').textContent(), '签到未成功');
    assert.match(await page.locator('#result-detail').textContent(), new RegExp(`不在签到范围内（约 ${metres} 米之外）`));
    assert.equal(await page.locator('#scanner').isVisible(), false, 'the camera is closed');
    assert.equal(await page.locator('#result-site').textContent(), `单位：${site.name}`);
    // Which way to walk, and the map: the fence, the fix and its accuracy circle.
    const walk = page.locator('#result-walk');
    await walk.waitFor();
    const walkText = await walk.textContent();
    const toWalk = Number(/向南走约 (\d+) 米/.exec(walkText)?.[1]);
    assert.ok(Math.abs(toWalk - metres) <= 2, `${walkText} vs ${metres} m outside`);
    // Leaflet makes the host itself its container.
    await page.locator('#result-map.leaflet-container, #result-map[data-error]').first().waitFor();
    assert.equal(await page.locator('#result-map').getAttribute('data-error'), null, 'the map was drawn');
    await page.locator('#result-map path.fence').waitFor();
    await page.locator('#result-map path.fix-accuracy').waitFor();
    await page.locator('#result-map path.fix-marker').waitFor();
    assert.equal(await page.locator('#result-map').getAttribute('data-tile-crs'), 'none', 'no base map unless configured');
    await page.locator('#result').scrollIntoViewIfNeeded();
    await shot(page, 'm-03-refused-outside.png');

    // The same words in English, and the choice is remembered.
    await page.locator('#lang-toggle').click();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.match(await page.locator('#result-detail').textContent(), new RegExp(`outside the check-in area \\(about ${metres} m away\\)`));
    assert.equal(await page.locator('#btn-checkin').textContent(), 'Scan to check in');
    await page.reload();
    await page.locator('#app-view').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#btn-checkin').textContent(), 'Scan to check in');
    await page.locator('#lang-toggle').click();
    assert.equal(await page.locator('#btn-checkin').textContent(), '扫码签到');
  });

  await t.test('inside the fence the same code checks in', async () => {
    const { page, context } = phone;
    await context.setGeolocation({ ...INSIDE[0], accuracy: ACCURACY_M });
    const { status, body, sent } = await scan(page, '#btn-checkin', 'check-in');
    assert.equal(status, 201, JSON.stringify(body));
    assert.equal(body.verdict, 'accepted');
    assert.deepEqual(body.reasons, []);
    assertBody(sent, video, INSIDE[0]);
    visitId = body.visit_id;
    await page.locator('#result[data-outcome="accepted"][data-action="check_in"]').waitFor();
    assert.equal(await page.locator('#result-title').textContent(), '签到成功');
    await page.locator(`#visit-state[data-state="open"][data-visit-id="${visitId}"]`).waitFor();
    assert.match(await page.locator('#visit-detail').textContent(), new RegExp(`在 ${site.name} 签到`));
    const stored = await visits();
    assert.deepEqual(stored.map((v) => [v.id, v.status]), [[visitId, 'open']]);
    await page.locator('#result').scrollIntoViewIfNeeded();
    await shot(page, 'm-04-checked-in.png');
  });

  await t.test('logs the day\'s work on the visit and corrects it', async () => {
    const { page } = phone;
    const card = page.locator(`#activity-card[data-visit-id="${visitId}"]`);
    await card.waitFor();
    await page.locator('#act-list', { hasText: '还没有记录' }).waitFor();
    await page.locator('#act-count').fill('-1');
    await page.locator('#act-submit').click();
    await page.locator('#act-msg', { hasText: '数量须为 0 到 10000 的整数' }).waitFor();

    await page.locator('#act-kind').selectOption('outpatient');
    await page.locator('#act-count').fill('12');
    await page.locator('#act-note').fill('上午门诊');
    await page.locator('#act-submit').click();
    await page.locator('#act-list li[data-kind="outpatient"][data-count="12"]').waitFor();
    await page.locator('#act-msg', { hasText: '已记录：门诊 12' }).waitFor();
    // Logging the kind again amends it: the page shows the current record only.
    await page.locator('#act-count').fill('15');
    await page.locator('#act-submit').click();
    await page.locator('#act-list li[data-kind="outpatient"][data-count="15"]').waitFor();
    assert.equal(await page.locator('#act-list li[data-kind="outpatient"]').count(), 1);
    assert.match(await page.locator('#act-list li[data-kind="outpatient"]').textContent(), /更正了此前的记录/);
    // 教学查房 is a kind of its own, apart from 查房.
    await page.locator('#act-kind').selectOption('teaching_round');
    await page.locator('#act-count').fill('2');
    await page.locator('#act-submit').click();
    await page.locator('#act-list li[data-kind="teaching_round"][data-count="2"]').waitFor();
    await page.locator('#act-msg', { hasText: '已记录：教学查房 2' }).waitFor();

    const res = await api('GET', `/api/v1/visits/${visitId}/activities`, { token: physician });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.map((a) => [a.kind, a.count, a.current]),
      [['outpatient', 12, false], ['outpatient', 15, true], ['teaching_round', 2, true]]);
    assert.equal(res.body[1].supersedes_id, res.body[0].id);
    assert.equal(res.body[0].note, '上午门诊');
    await card.scrollIntoViewIfNeeded();
    await shot(page, 'm-05-activity.png');
    await phone.context.close();
  });

  await t.test('a new code checks out: the session and device survive the relaunch', async () => {
    await freshStep(video.step);
    video = await footage(renderer, dir, 'code-2');
    phone = await launchPhone(video, INSIDE[1], 'phone-2');
    const { page } = phone;
    await page.locator(`#visit-state[data-state="open"][data-visit-id="${visitId}"]`).waitFor();
    // An expired access token is refreshed once, quietly.
    await page.evaluate(() => {
      const s = JSON.parse(localStorage.getItem('xiaxiang.m.session'));
      s.access_token = 'expired.or.forged';
      localStorage.setItem('xiaxiang.m.session', JSON.stringify(s));
    });
    await page.reload();
    await page.locator(`#visit-state[data-state="open"][data-visit-id="${visitId}"]`).waitFor();
    await page.locator(`#assignment-body .assignment[data-site-id="${site.id}"]`).waitFor();
    // The page draws the visit and assignments from its cache first; the refresh lands
    // when the first call comes back 401 (a timeout here means it never did).
    await page.waitForFunction(
      () => JSON.parse(localStorage.getItem('xiaxiang.m.session')).access_token !== 'expired.or.forged',
    );
    const renewed = await page.evaluate(() => JSON.parse(localStorage.getItem('xiaxiang.m.session')).access_token);
    assert.notEqual(renewed, 'expired.or.forged');
    assert.ok(renewed.length > 0);
    assert.equal(await page.locator('#btn-checkout').getAttribute('class'), 'btn big primary');
    const { status, body, sent } = await scan(page, '#btn-checkout', 'check-out');
    assert.equal(status, 201, JSON.stringify(body));
    assertBody(sent, video, INSIDE[1]);
    assert.equal(body.visit_id, visitId);
    // A visit of a few seconds is accepted but flagged short (less than 30 minutes).
    assert.ok(['accepted', 'flagged'].includes(body.verdict), body.verdict);
    const result = page.locator(`#result[data-outcome="${body.verdict}"][data-action="check_out"]`);
    await result.waitFor();
    // Each anomaly in the server's own sentence (the one the console shows).
    assert.deepEqual(body.anomaly_summaries.map((s) => s.kind), body.reasons);
    for (const said of body.anomaly_summaries) {
      const item = result.locator(`li[data-reason="${said.kind}"]`);
      await item.waitFor();
      assert.equal(await item.textContent(), `${said.label_zh}：${said.summary_zh}`);
    }
    if (body.reasons.includes('short_visit')) {
      assert.match(await result.textContent(), /签到后\d+分钟即签退，少于规定的30分钟。/);
    }
    await page.locator('#visit-state[data-state="closed"]').waitFor();
    const stored = await visits();
    assert.deepEqual(stored.map((v) => [v.id, v.status]), [[visitId, 'closed']]);
    await shot(page, 'm-06-checked-out.png');
  });

  await t.test('the month\'s progress matches the server\'s summary', async () => {
    const { page } = phone;
    await page.locator('#tab-progress').click();
    const card = page.locator(`#summary-body .summary[data-site-id="${site.id}"]`);
    await card.waitFor();
    const month = await page.evaluate(() => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7));
    const res = await api('GET', `/api/v1/me/summary?month=${month}`, { token: physician });
    assert.equal(res.status, 200);
    const mine = res.body.assignments.find((a) => a.site_id === site.id);
    // The calendar: one cell a day, each day the server lists marked with its standing.
    const [y, m] = month.split('-').map(Number);
    assert.equal(await card.locator('.cal .day').count(), new Date(Date.UTC(y, m, 0)).getUTCDate());
    assert.ok(mine.days.length >= 1, 'today\'s finished visit is on the calendar');
    for (const day of mine.days) {
      assert.equal(await card.locator(`.cal .day[data-date="${day.date}"]`).getAttribute('data-standing'), day.standing, day.date);
    }
    assert.equal(await card.locator('.cal .day[data-standing]').count(), mine.days.length);
    const total = card.locator('.month-total');
    assert.equal(Number(await total.getAttribute('data-credited-days')), mine.credited_days);
    assert.equal(Number(await total.getAttribute('data-pending-visits')), mine.pending_visits);
    const rows = card.locator('.req');
    assert.equal(await rows.count(), mine.requirements.length);
    assert.ok(mine.requirements.length >= 1);
    const first = mine.requirements[0];
    assert.equal(await rows.first().getAttribute('data-status'), first.status);
    // In the compliance report's words.
    assert.equal(first.description_zh, '每月不少于1天');
    assert.match(await rows.first().textContent(), /每月不少于1天/);
    const label = { met: '已达标', on_track: '进度正常', at_risk: '有风险', missed: '未达标' }[first.status];
    assert.match(await rows.first().locator('.badge').textContent(), new RegExp(label));
    await shot(page, 'm-07-summary.png');

    await page.locator('#tab-visits').click();
    const item = page.locator(`#visits-list li.visit[data-visit-id="${visitId}"][data-status="closed"]`);
    await item.waitFor();
    assert.match(await item.textContent(), new RegExp(site.name));
    // The visit's anomalies in the server's sentences, as /me/visits gives them.
    const listed = (await api('GET', '/api/v1/me/visits', { token: physician })).body.items.find((v) => v.id === visitId);
    assert.deepEqual(listed.anomaly_summaries.map((s) => s.kind).sort(), [...listed.anomalies].sort());
    assert.equal(await item.locator('.anoms li').count(), listed.anomaly_summaries.length);
    for (const said of listed.anomaly_summaries) {
      assert.equal(await item.locator(`.anoms li[data-kind="${said.kind}"]`).first().textContent(), said.summary_zh);
    }
    await shot(page, 'm-08-visits.png');

    // The appeal (申诉) on a visit that is not credited: the server answers it where it
    // has appeals (faked here by routes), and a server without them (404) hides the button.
    if (listed.credit_state !== 'creditable') {
      const appeals = `${BASE}/api/v1/me/visits/${visitId}/appeals`;
      let stored = [];
      await page.route(appeals, async (route) => {
        const request = route.request();
        if (request.method() === 'POST') {
          const { note } = request.postDataJSON();
          stored = [{ id: 'a1', visit_id: visitId, status: 'pending', note, decision_note: null, created_at: new Date().toISOString() }];
          await route.fulfill({ status: 201, contentType: 'application/json', body: JSON.stringify(stored[0]) });
        } else {
          await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(stored) });
        }
      });
      await item.locator('.appeal-open').click();
      await item.locator('.appeal-send').click();
      await item.locator('.appeal .error', { hasText: '请填写申诉理由' }).waitFor();
      await item.locator('.appeal-note').fill('当天停电，签到屏关闭，实际在岗至 17:00。');
      const sent = page.waitForRequest((r) => r.url() === appeals && r.method() === 'POST');
      await item.locator('.appeal-send').click();
      assert.equal((await sent).postDataJSON().note, '当天停电，签到屏关闭，实际在岗至 17:00。');
      await item.locator('.appeal-status[data-status="pending"]', { hasText: '申诉已提交' }).waitFor();
      assert.equal(await item.locator('.appeal-open').count(), 0, 'one pending appeal at a time');
      await page.unroute(appeals);
      await page.route(appeals, (route) => route.fulfill({ status: 404, contentType: 'application/problem+json', body: '{"code":"not_found","status":404}' }));
      await page.reload();
      await page.locator('#tab-visits').click();
      await item.locator('.appeal-open').click();
      await item.locator('.appeal-open').waitFor({ state: 'detached' });
      await page.unroute(appeals);
    }
    await phone.context.close();
  });

  await t.test('offline, a scan is queued with its scan time and sent once when back', async () => {
    await freshStep(video.step);
    video = await footage(renderer, dir, 'code-3');
    phone = await launchPhone(video, INSIDE[2], 'phone-3');
    const { page, context } = phone;
    await page.locator('#visit-state[data-state="closed"]').waitFor();
    await context.setOffline(true);
    await page.locator('#net[data-state="offline"]').waitFor();
    await page.locator('#offline-banner').waitFor({ state: 'visible' });

    const scannedFrom = Date.now();
    await page.locator('#btn-checkin').click();
    await page.locator('#result[data-outcome="queued"][data-action="check_in"]').waitFor();
    const queue = await queueOf(page);
    assert.equal(queue.length, 1);
    const [item] = queue;
    assertBody(item.body, video, INSIDE[2]);
    const scannedAt = Date.parse(item.body.scanned_at);
    assert.ok(scannedAt >= scannedFrom - 1000 && scannedAt <= Date.now(), item.body.scanned_at);
    assert.equal(item.body.offline, true, 'marked offline: its code is judged at the scan time');
    await page.locator(`#queue-list li[data-id="${item.id}"]`).waitFor();
    assert.match(await page.locator('#queue-count').textContent(), /待上传的扫码（1）/);
    assert.equal((await visits()).length, 1, 'nothing reached the server');
    await shot(page, 'm-09-offline-queued.png');

    const answered = page.waitForResponse((r) => r.url() === `${BASE}/api/v1/attendance/check-in`);
    await context.setOffline(false);
    const response = await answered;
    assert.equal(response.status(), 201);
    const first = await response.json();
    assert.equal(response.request().postDataJSON().client_event_id, item.id);
    assert.equal(response.request().postDataJSON().offline, true);
    assert.equal(first.verdict, 'accepted', JSON.stringify(first));
    await page.locator('#result[data-outcome="accepted"][data-from-queue="true"]').waitFor();
    await page.locator('#queue-card').waitFor({ state: 'hidden' });
    assert.deepEqual(await queueOf(page), []);
    await page.locator(`#visit-state[data-state="open"][data-visit-id="${first.visit_id}"]`).waitFor();
    await shot(page, 'm-10-queue-sent.png');

    // Sending it again answers the first answer and stores nothing new.
    const replay = await api('POST', '/api/v1/attendance/check-in', { token: physician, body: item.body });
    assert.equal(replay.status, 201);
    assert.deepEqual(replay.body, first);
    const stored = await visits();
    assert.equal(stored.length, 2);
    assert.deepEqual(stored.filter((v) => v.status === 'open').map((v) => v.id), [first.visit_id]);
    visitId = first.visit_id;
    await phone.context.close();
  });

  await t.test('a check-out whose answer is lost is retried and stored once', async () => {
    await freshStep(video.step);
    video = await footage(renderer, dir, 'code-4');
    phone = await launchPhone(video, INSIDE[3], 'phone-4');
    const { page } = phone;
    await page.locator(`#visit-state[data-state="open"][data-visit-id="${visitId}"]`).waitFor();
    // The request reaches the server, which checks out; the phone never hears back.
    let lost = null;
    await page.route(`${BASE}/api/v1/attendance/check-out`, async (route) => {
      const response = await route.fetch();
      lost = { status: response.status(), body: await response.json() };
      await route.abort('connectionreset');
    }, { times: 1 });
    const retried = page.waitForResponse((r) => r.url() === `${BASE}/api/v1/attendance/check-out`);
    await page.locator('#btn-checkout').click();
    await page.locator('#result[data-outcome="queued"][data-action="check_out"]').waitFor();
    assert.equal(lost.status, 201, JSON.stringify(lost.body));
    assert.equal((await visits()).find((v) => v.id === visitId).status, 'closed', 'the server did check out');

    await page.locator('#queue-send').click();
    const response = await retried;
    assert.equal(response.status(), 201);
    assert.deepEqual(await response.json(), lost.body, 'the retry gets the first answer');
    await page.locator(`#result[data-outcome="${lost.body.verdict}"][data-from-queue="true"]`).waitFor();
    await page.locator('#queue-card').waitFor({ state: 'hidden' });
    const stored = await visits();
    assert.equal(stored.length, 2);
    assert.ok(stored.every((v) => v.status === 'closed'));
  });

  await t.test('the kiosk code as a URL opens the page with the code filled in: one tap checks in', async () => {
    await phone.context.close();
    const code = await freshStep(video.step);
    // The kiosk's code is the phone page's URL once CHECKIN_PUBLIC_URL is set; a bare
    // payload is opened the way the system camera opens the URL.
    const url = code.payload.startsWith('http') ? code.payload : `${BASE}/m/#c=${code.payload}`;
    phone = await launchPhone(video, INSIDE[0], 'phone-url', url);
    const { page } = phone;
    const go = page.locator('#url-go[data-action="check_in"]');
    await go.waitFor();
    assert.equal(await go.textContent(), '签到');
    assert.match(await page.locator('#url-code-site').textContent(), new RegExp(site.name));
    assert.equal(await page.evaluate(() => location.hash), '', 'the code left the address bar');
    assert.equal(await page.locator('#viewfinder').isVisible(), false, 'no camera for a code in the address');
    await shot(page, 'm-11-url-code.png');
    const answered = page.waitForResponse((r) => r.url() === `${BASE}/api/v1/attendance/check-in` && r.request().method() === 'POST');
    await go.click();
    const response = await answered;
    const body = await response.json();
    assert.equal(response.status(), 201, JSON.stringify(body));
    assert.equal(response.request().postDataJSON().qr_payload, bare(code.payload));
    assert.ok(['accepted', 'flagged'].includes(body.verdict), body.verdict);
    assert.equal(response.request().postDataJSON().offline, undefined, 'an online scan is not marked offline');
    await page.locator(`#result[data-outcome="${body.verdict}"][data-action="check_in"]`).waitFor();
    await page.locator(`#visit-state[data-state="open"][data-visit-id="${body.visit_id}"]`).waitFor();
    visitId = body.visit_id;
    await phone.context.close();
  });

  await t.test('after one visit the page opens with no network, queues a scan and sends it when back', async () => {
    await freshStep((await kioskCode()).step);
    video = await footage(renderer, dir, 'code-5');
    phone = await launchPhone(video, INSIDE[1], 'phone-cold');
    const { context } = phone;
    let { page } = phone;
    await page.locator(`#visit-state[data-state="open"][data-visit-id="${visitId}"]`).waitFor();
    // The worker has installed and keeps the page.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await page.waitForFunction(() => caches.match('/m/').then((r) => !!r));
    await context.setOffline(true);
    await page.close();
    page = await context.newPage();
    watchProblems(page, 'phone-cold-2', problems, EXPECTED);
    const opened = await page.goto(`${BASE}/m/`);
    assert.ok(opened.fromServiceWorker(), 'the page came from the service worker');
    // Chromium's emulation does not tell a page opened offline that it is (navigator.onLine
    // stays true), as a phone on a dead network would not: the page learns it when the
    // scan's request fails, and keeps the scan.
    await page.locator(`#visit-state[data-state="open"][data-visit-id="${visitId}"]`).waitFor();
    const scannedFrom = Date.now();
    await page.locator('#btn-checkout').click();
    await page.locator('#result[data-outcome="queued"][data-action="check_out"]').waitFor();
    const [item] = await queueOf(page);
    assertBody(item.body, video, INSIDE[1]);
    assert.equal(item.body.offline, true);
    const scannedAt = Date.parse(item.body.scanned_at);
    assert.ok(scannedAt >= scannedFrom - 1000 && scannedAt <= Date.now(), item.body.scanned_at);
    await shot(page, 'm-12-cold-offline-queued.png');

    const answered = page.waitForResponse((r) => r.url() === `${BASE}/api/v1/attendance/check-out`);
    await context.setOffline(false);
    const response = await answered;
    const sent = response.request().postDataJSON();
    assert.equal(response.status(), 201);
    assert.equal(sent.client_event_id, item.id);
    assert.equal(sent.offline, true);
    assert.equal(sent.scanned_at, item.body.scanned_at, 'sent with its scan time');
    const answer = await response.json();
    assert.equal(answer.visit_id, visitId);
    await page.locator(`#result[data-outcome="${answer.verdict}"][data-from-queue="true"]`).waitFor();
    await page.locator('#queue-card').waitFor({ state: 'hidden' });
    const stored = (await visits()).find((v) => v.id === visitId);
    assert.equal(stored.status, 'closed');
    assert.ok(Math.abs(Date.parse(stored.checked_out_at) - scannedAt) < 2000, `${stored.checked_out_at} vs ${item.body.scanned_at}`);
    await page.locator('#btn-checkout:disabled').waitFor();
    phone.page = page;
  });

  await t.test('opened over insecure http the page says why there is no camera or location', async () => {
    const page = await phone.context.newPage();
    watchProblems(page, 'phone-insecure', problems, EXPECTED);
    // What a phone sees at http://<LAN address>: the browser reports an insecure context.
    await page.addInitScript(() => Object.defineProperty(window, 'isSecureContext', { get: () => false }));
    await page.goto(`${BASE}/m/`);
    const banner = page.locator('#insecure-banner');
    await banner.waitFor({ state: 'visible' });
    assert.match(await banner.textContent(), /不安全的 http 地址.*https/);
    await page.locator('#btn-checkin').click();
    await page.locator('#scan-status', { hasText: '不安全的 http 地址' }).waitFor();
    assert.match(await page.locator('#fix-status').textContent(), /不允许定位/);
    assert.doesNotMatch(await page.locator('#scanner').textContent(), /未授权|浏览器设置中允许/);
    assert.ok(await page.locator('#manual-code').isVisible(), 'the code can still be pasted');
    await shot(page, 'm-13-insecure.png');
    await page.close();
  });

  await t.test('signing out forgets the session and revokes its refresh token', async () => {
    const { page } = phone;
    const { refresh_token: refresh } = await page.evaluate(() => JSON.parse(localStorage.getItem('xiaxiang.m.session')));
    const loggedOut = page.waitForResponse((r) => r.url() === `${BASE}/api/v1/auth/logout`);
    await page.locator('#logout').click();
    assert.equal((await loggedOut).status(), 204);
    await page.locator('#login-view').waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => localStorage.getItem('xiaxiang.m.session')), null);
    // The device id stays: the server bound this physician to it.
    assert.match(await page.evaluate(() => localStorage.getItem('xiaxiang.m.device')), /^web-/);
    const res = await api('POST', '/api/v1/auth/refresh', { body: { refresh_token: refresh } });
    assert.equal(res.status, 401);
    await phone.context.close();
  });

  await t.test('no console errors, CSP violations or uncaught exceptions', () => {
    assert.deepEqual(problems, []);
  });
});
