// The supervisor console (/console/, the Vue application built from web/) in headless
// Chromium against a real server seeded by run.sh: the policy it is served with, login,
// the anomaly queue with the server's sentence per kind, the review with its map, a
// second review refused, the English toggle, the silent token refresh, the offline
// banner, an inspection, reports downloaded as XLSX and parsed, the compliance report
// drilled down, the bureau's county figures saved, visits filtered, opened and
// exported, coverage with the clinic nobody served, the dashboard's figures and links,
// error and empty states, and the service record's physician picker.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { chromium } from 'playwright-core';
import { accessToken, api, decodeQrPng, env } from './lib.mjs';

const PASSWORD_OF_NEW_USERS = 'browser-test-pass';

const BASE = env('CONSOLE_BASE_URL');
const PHONE = env('CONSOLE_PHONE');
const PASSWORD = env('CONSOLE_PASSWORD');
const SITE_ID = env('CONSOLE_SITE_ID');
const SITE_NAME = env('CONSOLE_SITE_NAME');
const PHYSICIAN_ID = env('CONSOLE_PHYSICIAN_ID');
const PHYSICIAN_NAME = env('CONSOLE_PHYSICIAN_NAME');
const ANOMALY_ID = env('CONSOLE_ANOMALY_ID');
const EMPTY_CLINIC_NAME = env('CONSOLE_EMPTY_CLINIC_NAME');
const CREDITED_ID = env('CONSOLE_CREDITED_PHYSICIAN_ID');
const CREDITED_NAME = env('CONSOLE_CREDITED_PHYSICIAN_NAME');
const CREDITED_PHONE = env('CONSOLE_CREDITED_PHYSICIAN_PHONE');
const ARTIFACTS = process.env.CONSOLE_ARTIFACTS || join(process.cwd(), '..', '..', 'test-artifacts', 'browser');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

mkdirSync(ARTIFACTS, { recursive: true });

let context;
let profile;
let downloads;
/** Console errors and uncaught exceptions per page; a CSP violation shows up here. */
const problems = [];

before(async () => {
  profile = mkdtempSync(join(tmpdir(), 'xiaxiang-chromium-'));
  downloads = mkdtempSync(join(tmpdir(), 'xiaxiang-downloads-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    downloadsPath: downloads,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1440, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (downloads) rmSync(downloads, { recursive: true, force: true });
});

/** A page whose console errors are collected; `allow` names more that a test provokes. */
async function newPage(label, { allow } = {}) {
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('console', (msg) => {
    // Chromium logs every non-2xx fetch; the tests provoke a 401 (wrong password, spoiled
    // token), a 409 (second review) and a fetch while offline on purpose. Anything else,
    // a CSP refusal included, fails.
    const expected = /^Failed to load resource: (the server responded with a status of (401|409) |net::ERR_INTERNET_DISCONNECTED)/;
    // The browser's own favicon request is not the console's.
    const favicon = /\/favicon\.ico$/.test(msg.location()?.url ?? '');
    if (msg.type() === 'error' && !favicon && !expected.test(msg.text()) && !(allow && allow.test(msg.text()))) {
      problems.push(`${label}: console: ${msg.text()} ${msg.location()?.url ?? ''}`.trim());
    }
  });
  page.on('pageerror', (err) => problems.push(`${label}: ${err.message}`));
  return page;
}

// A drawer slides in from the right: shoot once every open drawer has come to rest
// against the window's right edge, not half-way in.
async function shot(page, name) {
  await page.waitForFunction(() => [...document.querySelectorAll('.el-drawer')]
    .filter((d) => d.getClientRects().length > 0)
    .every((d) => {
      const { right } = d.getBoundingClientRect();
      return right >= document.documentElement.clientWidth - 2 && right <= window.innerWidth + 2;
    })
    && !document.querySelector('[class*="-enter-active"], [class*="-leave-active"]'));
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
}

async function logIn(page, hash = '') {
  await page.goto(`${BASE}/console/${hash}`);
  await page.locator('#login-phone').fill(PHONE);
  await page.locator('#login-password').fill(PASSWORD);
  await page.locator('#login-submit').click();
  await page.locator('#app-view').waitFor({ state: 'visible' });
}

const openButton = (page, id) => page.locator(`button.open-anomaly[data-id="${id}"]`);
const drawer = (page) => page.locator('.el-drawer');

/** This month in the bureau's zone, `YYYY-MM`. */
const thisMonth = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);

/** The first sheet of a downloaded workbook as rows of cell texts. */
async function sheetRows(download, name) {
  const file = join(downloads, name);
  await download.saveAs(file);
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(readFileSync(file));
  const sheet = book.worksheets[0];
  assert.ok(sheet, `${name} has a sheet`);
  const rows = [];
  sheet.eachRow((row) => {
    const cells = [];
    row.eachCell({ includeEmpty: true }, (cell, col) => { cells[col - 1] = cell.text; });
    rows.push(cells);
  });
  return rows;
}

test('the console is served from embedded assets with a strict policy', async () => {
  const bare = await fetch(`${BASE}/console`, { redirect: 'manual' });
  assert.ok([301, 308].includes(bare.status), `/console redirects, got ${bare.status}`);
  assert.equal(bare.headers.get('location'), '/console/');

  const res = await fetch(`${BASE}/console/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  const csp = res.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /connect-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  const html = await res.text();
  assert.doesNotMatch(html, /<script>|<style|https?:\/\//, 'no inline code, no other origin');

  const asset = html.match(/src="(\/console\/assets\/[^"]+\.js)"/)[1];
  const js = await fetch(BASE + asset);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /javascript/);
  assert.match(js.headers.get('cache-control'), /max-age=31536000.*immutable/);
  assert.equal((await fetch(`${BASE}/console/assets/no-such-file.js`)).status, 404);
});

test('a wrong password is refused on the login form', async () => {
  const page = await newPage('wrong-password');
  await page.goto(`${BASE}/console/`);
  await page.locator('#login-phone').fill(PHONE);
  await page.locator('#login-password').fill('not-the-password');
  await page.locator('#login-submit').click();
  await page.locator('#login-error', { hasText: '手机号或密码错误' }).waitFor();
  assert.equal(await page.locator('#app-view').count(), 0);
  await page.close();
});

// The seeded world has one kind of anomaly; every other kind is fed to the real page
// through an intercepted list, shaped as the server sends it (domain/anomaly_text.rs:
// a sentence, labelled facts) next to the raw stored detail. The console must show the
// server's words and labels only: never a raw key, an id or JSON from the detail.
const SAID = {
  new_device: ['使用了与已绑定手机不同的设备签到。', 'Checked in from a device other than the bound phone.', { device_id: 'phone-b', bound_device_id: 'phone-a' }, [['device_id', '签到设备', 'Device', 'phone-b', 'phone-b']]],
  mock_location: ['手机报告此次定位为模拟（虚拟）定位。', 'The phone reported this fix as a mock location.', { device_id: 'phone-b' }, []],
  impossible_travel: ['与上一次定位相距38.2公里，仅隔9分钟，折合时速255公里，超过上限150公里/小时。', '38.2 km from the previous fix only 9 minutes earlier: 255 km/h, above the 150 km/h limit.',
    { distance_km: 38.2, minutes: 9, speed_kmh: 255, limit_kmh: 150, previous_event_id: 'e0000000-0000-4000-8000-000000000009' },
    [['distance_km', '与上次定位距离', 'Distance from previous fix', '38.2公里', '38.2 km'], ['speed_kmh', '折合时速', 'Speed', '255公里/小时', '255 km/h']]],
  code_shared: ['同一签到码也被另一位医师使用，两处定位相距1490米。', 'The same kiosk code was also used by another physician from 1490 m away.',
    { separation_m: 1490, same_device: false, other_event_id: 'e0000000-0000-4000-8000-000000000008' }, [['separation_m', '两处定位相距', 'Fixes apart', '1490米', '1490 m']]],
  repeated_fix: ['定位坐标与之前的一次签到完全相同，真实定位几乎不会重复。', 'The fix is identical to an earlier check-in\'s; real GPS fixes practically never repeat.',
    { other_event_id: 'e0000000-0000-4000-8000-000000000007', lat: 25.29, lon: 117.41 }, [['lat', '纬度', 'Latitude', '25.290000', '25.290000']]],
  late_sync: ['离线扫码于2026-03-02 09:00，95分钟后才上传。', 'Scanned offline at 2026-03-02 09:00, uploaded 95 minutes later.', { scanned_at: '2026-03-02T01:00:00Z', delay_minutes: 95 }, [['delay_minutes', '延迟', 'Delay', '95分钟', '95 min']]],
  missing_checkout: ['2026-03-02 09:00签到后未签退，该次服务已于2026-03-02 18:00自动结束，暂不计入。', 'Checked in at 2026-03-02 09:00 and never checked out; the visit was closed at 2026-03-02 18:00 without credit.',
    { checked_in_at: '2026-03-02T01:00:00Z', closed_at: '2026-03-02T10:00:00Z' }, [['checked_in_at', '签到时间', 'Checked in', '2026-03-02 09:00', '2026-03-02 09:00']]],
  short_visit: ['签到后12分钟即签退，少于规定的30分钟。', 'Checked out 12 minutes after checking in, less than the required 30 minutes.', { minutes: 12, min_minutes: 30 },
    [['minutes', '时长', 'Duration', '12分钟', '12 min'], ['min_minutes', '规定最短时长', 'Required minimum', '30分钟', '30 min']]],
  outside_window_edge: ['扫码时间超出规定时段08:00-17:30共10分钟。', 'Scanned 10 minutes outside the daily window 08:00-17:30.', { minutes_outside: 10, window: '08:00-17:30' }, [['window', '规定时段', 'Daily window', '08:00-17:30', '08:00-17:30']]],
  inspection_absent: ['2026-03-02 10:30暗访时本人不在岗，但系统中有2026-03-02 09:00的签到记录。', 'Absent at the unannounced visit at 2026-03-02 10:30, yet checked in since 2026-03-02 09:00.',
    { inspection_kind: 'unannounced', inspection_id: 'e0000000-0000-4000-8000-000000000006' }, [['inspection_kind', '检查方式', 'Inspection', '暗访', 'unannounced visit']]],
  inspection_unrecorded: ['2026-03-02 10:30现场核查时本人在岗，但没有签到记录。', 'Present at the on-site check at 2026-03-02 10:30 without a check-in.',
    { inspection_kind: 'onsite', inspection_id: 'e0000000-0000-4000-8000-000000000005' }, [['inspection_kind', '检查方式', 'Inspection', '现场核查', 'on-site check']]],
  presence_check_missed: ['2026-03-02 10:00发起的在岗抽查，未在2026-03-02 10:15前扫码响应。', 'Did not answer the presence spot-check of 2026-03-02 10:00 by scanning before 2026-03-02 10:15.',
    { presence_check_id: 'e0000000-0000-4000-8000-000000000004' }, []],
  requirement_missed: ['2026年3月应服务1天，实际计入0.5天。', 'In March 2026: required 1 days, credited 0.5.',
    { assignment_id: 'e0000000-0000-4000-8000-000000000003', requirement: { period: 'month', min_days: 1 }, required: 1, credited: 0.5 },
    [['required', '应完成', 'Required', '1天', '1 days'], ['credited', '实际计入', 'Credited', '0.5天', '0.5 days']]],
};
const LABEL = {
  new_device: '更换设备签到', mock_location: '模拟定位', impossible_travel: '移动速度异常', code_shared: '签到码疑似共享',
  repeated_fix: '定位坐标完全重复', late_sync: '离线签到延迟上传', missing_checkout: '未签退', short_visit: '在岗时间过短',
  outside_window_edge: '签到时间临近规定时段边缘', inspection_absent: '暗访/核查时不在岗', inspection_unrecorded: '暗访/核查在岗但无签到',
  presence_check_missed: '未按时响应在岗抽查', requirement_missed: '未达到服务要求',
};

test('every anomaly kind reads as the server\'s sentence, and one without a location draws no map', async () => {
  const page = await newPage('kinds');
  await logIn(page);
  const items = Object.entries(SAID).map(([kind, [zh, en, detail, facts]], i) => ({
    id: `a0000000-0000-4000-8000-0000000000${String(i + 10)}`, kind, severity: 'medium', status: 'open',
    physician_id: PHYSICIAN_ID, site_id: kind === 'requirement_missed' ? null : SITE_ID, visit_id: null,
    event_ids: [], detected_at: new Date().toISOString(), review: null, detail,
    label_zh: LABEL[kind], label_en: 'Anomaly', summary_zh: zh, summary_en: en,
    facts: facts.map(([key, label_zh, label_en, value_text, value_en]) => ({ key, label_zh, label_en, value_text, value_en })),
    physician_name: PHYSICIAN_NAME, site_name: kind === 'requirement_missed' ? null : SITE_NAME,
  }));
  await page.route((url) => url.pathname === '/api/v1/anomalies', (route) => route.fulfill({ json: { items, next_cursor: null } }));
  await page.route((url) => url.pathname.startsWith('/console/api/anomalies/'), (route) =>
    route.fulfill({ json: { anomaly_id: items.at(-1).id, site: null, fixes: [] } }));
  await page.locator('#side-menu [data-path="/anomalies"]').click();
  await page.locator('#queue-table .sentence-cell').first().waitFor();
  const sentences = await page.locator('#queue-table .sentence-cell').allTextContents();
  const kinds = await page.locator('#queue-table .kind').allTextContents();
  assert.deepEqual(sentences, items.map((a) => a.summary_zh), 'the server\'s sentences, word for word');
  assert.deepEqual(kinds, items.map((a) => a.label_zh), 'the server\'s names of the kinds');
  for (const [i, text] of sentences.entries()) {
    assert.doesNotMatch(text, /[a-z]+_[a-z]+|[{}]|[0-9a-f]{8}-|undefined|NaN/, `${items[i].kind}: "${text}"`);
  }

  // The requirement has no site and no fixes: the server's labelled facts, and no map.
  await page.locator(`button.open-anomaly[data-id="${items.at(-1).id}"]`).click();
  await page.locator('#d-no-location').waitFor();
  assert.equal(await page.locator('#d-map [data-kind="fence-map"]').count(), 0);
  assert.equal(await page.locator('#d-sentence').textContent(), items.at(-1).summary_zh);
  assert.equal(await page.locator('#d-title').textContent(), '未达到服务要求');
  const facts = await page.locator('#d-facts').textContent();
  assert.match(facts, /应完成\s*1天.*实际计入\s*0\.5天/s);
  assert.doesNotMatch(facts, /required|credited|assignment|period|[{}]|e0000000/);
  await shot(page, '07-sentences.png');

  // In English, the server's English sentence.
  await page.keyboard.press('Escape');
  await page.locator('#lang-toggle').click();
  await page.locator('#queue-table .sentence-cell', { hasText: items[0].summary_en }).waitFor();
  await page.locator('#lang-toggle').click();
  await page.locator('#queue-table .sentence-cell', { hasText: items[0].summary_zh }).waitFor();
  await page.unrouteAll();
  await page.close();
});

test('a supervisor reviews the seeded anomaly and records an inspection', async (t) => {
  const page = await newPage('supervisor');
  const rival = await newPage('rival');

  await t.test('logs in and sees the open anomaly in the queue', async () => {
    await logIn(page, '#/anomalies');
    assert.equal(await page.locator('#who-name').textContent(), '陈督查');
    const row = page.locator('#queue-table tr', { has: openButton(page, ANOMALY_ID) });
    await row.waitFor();
    assert.match(await row.textContent(), /模拟定位/);
    await row.locator('.person', { hasText: PHYSICIAN_NAME }).waitFor();
    assert.match(await row.textContent(), new RegExp(SITE_NAME));
    await shot(page, '01-queue.png');
  });

  await t.test('filters narrow the queue (also from a link)', async () => {
    await page.goto(`${BASE}/console/#/anomalies?status=open&kind=late_sync`);
    await page.reload();
    await page.locator('#queue-table', { hasText: '没有符合条件的异常' }).waitFor();
    assert.equal(await openButton(page, ANOMALY_ID).count(), 0);
    await page.goto(`${BASE}/console/#/anomalies?status=open&kind=mock_location&site_id=${SITE_ID}`);
    await page.reload();
    await openButton(page, ANOMALY_ID).waitFor();
  });

  await t.test('refreshes an expired access token once and carries on', async () => {
    await page.evaluate(() => {
      const key = 'xiaxiang.console.session';
      const s = JSON.parse(sessionStorage.getItem(key));
      s.access_token = 'expired.or.forged';
      sessionStorage.setItem(key, JSON.stringify(s));
    });
    await page.reload();
    await openButton(page, ANOMALY_ID).waitFor();
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('xiaxiang.console.session')).access_token);
    assert.notEqual(token, 'expired.or.forged');
  });

  await t.test('opens the anomaly: sentence, facts, the service and the map', async () => {
    await openButton(page, ANOMALY_ID).click();
    await drawer(page).locator('#detail-body').waitFor();
    assert.match(await page.locator('#d-title').textContent(), /模拟定位/);
    // The sentence the server wrote for it, the same the physician's phone was answered.
    const seeded = (await api('GET', `/api/v1/anomalies?kind=mock_location&physician_id=${PHYSICIAN_ID}`, { token: await accessToken(PHONE, PASSWORD) }))
      .body.items.find((a) => a.id === ANOMALY_ID);
    assert.equal(await page.locator('#d-sentence').textContent(), seeded.summary_zh);
    assert.equal(seeded.summary_zh, '手机报告此次定位为模拟（虚拟）定位。');
    await page.locator('#d-facts .person', { hasText: PHYSICIAN_NAME }).waitFor();
    assert.match(await page.locator('#d-facts').textContent(), new RegExp(SITE_NAME));
    // Checked in, not yet out: nothing credited either way yet.
    await page.locator('#d-credit[data-value="open"]').waitFor();
    assert.match(await page.locator('#d-visit').textContent(), /服务中/);
    assert.doesNotMatch(await page.locator('#detail-body').textContent(), /就诊/);
    // The fence and the one fix (with its accuracy circle) on the map.
    const map = page.locator('#d-map [data-kind="fence-map"]');
    await map.locator('path.fix-marker').waitFor({ state: 'attached' });
    assert.equal(await map.locator('path.fence').count(), 1);
    assert.equal(await map.locator('path.fix-marker').count(), 1);
    assert.equal(await map.locator('path.fix-accuracy').count(), 1);
    assert.equal(await map.getAttribute('data-tile-crs'), 'none');
    assert.equal(await map.locator('.leaflet-control-scale').count(), 1);
    assert.equal(await map.locator('img.leaflet-tile').count(), 0, 'no tiles by default');
    assert.match(await page.locator('#fix-legend').textContent(), /本次定位.*签到.*模拟定位/s);

    await rival.bringToFront();
    await logIn(rival, '#/anomalies');
    await openButton(rival, ANOMALY_ID).click();
    await rival.locator('#btn-confirm:enabled').waitFor();
    await page.bringToFront();
    await shot(page, '02-detail.png');
  });

  await t.test('dismissing needs a note, then changes the status and locks the review', async () => {
    await page.locator('#btn-dismiss').click();
    await page.locator('#review-msg', { hasText: '请填写审核意见' }).waitFor();
    assert.equal(await page.locator('#d-head .status[data-value="open"]').count(), 1);
    await page.locator('textarea#review-note').fill('定位软件误报：当日院办电话核实医师在岗。');
    await page.locator('#btn-dismiss').click();
    await page.locator('#d-head .status[data-value="dismissed"]').waitFor();
    await page.locator('#review-msg', { hasText: '已排除' }).waitFor();
    assert.equal(await page.locator('#btn-dismiss').count(), 0);
    assert.match(await page.locator('#review-done').textContent(), /排除.*陈督查.*当日院办电话核实/s);
    await shot(page, '03-dismissed.png');
  });

  await t.test('a second review from a stale tab is reported as already reviewed', async () => {
    await rival.bringToFront();
    await rival.locator('textarea#review-note').fill('确认为虚假签到');
    await rival.locator('#btn-confirm').click();
    await rival.locator('#review-msg', { hasText: '已被他人审核' }).waitFor();
    assert.match(await rival.locator('#review-msg').textContent(), /already_reviewed/);
    await rival.locator('#d-head .status[data-value="dismissed"]').waitFor();
    assert.equal(await rival.locator('#btn-confirm').count(), 0);
    await shot(rival, '04-already-reviewed.png');
  });

  await t.test('the English toggle switches every label, and back', async () => {
    await page.bringToFront();
    await page.keyboard.press('Escape');
    await page.locator('#lang-toggle').click();
    await page.locator('#side-menu', { hasText: 'Anomaly review' }).waitFor();
    assert.match(await page.locator('#side-menu').textContent(), /Service visits.*Reports.*Coverage.*Inspections/s);
    assert.doesNotMatch(await page.locator('#side-menu').textContent(), /异常审核/);
    await page.locator('#lang-toggle').click();
    await page.locator('#side-menu', { hasText: '异常审核' }).waitFor();
  });

  await t.test('says when the network is gone and reloads when it is back', async () => {
    await context.setOffline(true);
    const banner = page.locator('#net-banner');
    await banner.waitFor({ state: 'visible' });
    assert.match(await banner.textContent(), /网络已断开/);
    await page.locator('#f-apply').click();
    await page.locator('#queue-error', { hasText: '网络已断开' }).waitFor();
    await context.setOffline(false);
    await banner.waitFor({ state: 'detached' });
    await page.locator('#queue-error').waitFor({ state: 'detached' });
  });

  await t.test('an unannounced inspection finds the checked-in physician absent', async () => {
    await page.locator('#side-menu [data-path="/inspections"]').click();
    await page.locator('#inspect-view').waitFor();
    await page.locator('.el-select', { has: page.locator('#i-site') }).click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: SITE_NAME }).click();
    const marks = page.locator(`.i-mark[data-physician-id="${PHYSICIAN_ID}"]`);
    await marks.waitFor();
    await page.locator(`#i-people .person[data-physician-id="${PHYSICIAN_ID}"]`, { hasText: PHYSICIAN_NAME }).waitFor();
    await marks.locator('label', { hasText: '不在岗' }).click();
    await page.locator('textarea#i-note').fill('上午 10 时暗访，诊室无人。');
    await page.locator('#i-present-ids').fill('not-an-id');
    await page.locator('#i-submit').click();
    await page.locator('#i-error', { hasText: '不是有效的医师编号' }).waitFor();
    await page.locator('#i-present-ids').fill('');
    await page.locator('#i-submit').click();
    const result = page.locator('#inspect-result');
    await result.waitFor();
    assert.match(await result.textContent(), /核查记录已保存/);
    const raised = result.locator('#inspect-raised li[data-kind="inspection_absent"]');
    await raised.locator('.person', { hasText: PHYSICIAN_NAME }).waitFor();
    await shot(page, '05-inspection.png');

    await raised.locator('button').click();
    await page.locator('#d-title', { hasText: '暗访/核查时不在岗' }).waitFor();
    await page.locator('#d-map path.fix-marker').waitFor({ state: 'attached' });
    assert.match(await page.locator('#fix-legend').textContent(), /服务定位.*签到/s);
    assert.match(await page.locator('#d-facts').textContent(), /(检查方式|核查类型).*暗访/s);
    await shot(page, '06-raised-anomaly.png');
  });

  await rival.close();
  await page.close();
});

test('an inspection records the inspector\'s location and a photo, and the records page follows it up and exports it', async () => {
  // A 415 is provoked on purpose (a PDF offered as a photo).
  const page = await newPage('inspection-records', { allow: /status of 415/ });
  await context.grantPermissions(['geolocation'], { origin: BASE });
  await context.setGeolocation({ latitude: 25.2911, longitude: 117.4121, accuracy: 18 });
  await logIn(page, '#/inspections');
  await page.locator('#inspect-view').waitFor();
  await page.locator('.el-select', { has: page.locator('#i-site') }).click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: SITE_NAME }).click();
  const marks = page.locator(`.i-mark[data-physician-id="${PHYSICIAN_ID}"]`);
  await marks.waitFor();
  await marks.locator('label', { hasText: '在岗' }).first().click();
  await page.locator('#i-locate').click();
  await page.locator('#i-fix', { hasText: '25.29110' }).waitFor();
  await page.locator('#i-submit').click();
  await page.locator('#inspect-result').waitFor();
  await page.locator('#i-fix-distance', { hasText: '督查人定位' }).waitFor();

  const input = page.locator('#i-photo-file');
  await input.setInputFiles({ name: '通报.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7 not an image') });
  await page.locator('#i-photo-error', { hasText: 'unsupported_media_type' }).waitFor();
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
  const sha = createHash('sha256').update(png).digest('hex');
  await input.setInputFiles({ name: '现场.png', mimeType: 'image/png', buffer: png });
  await page.locator('.i-photo', { hasText: sha.slice(0, 16) }).waitFor();

  await page.locator('#side-menu [data-path="/inspection-records"]').click();
  await page.locator('#ir-table .open-inspection').first().waitFor();
  await page.locator('#ir-table .open-inspection').first().click();
  const detail = page.locator('#ir-detail');
  await detail.locator(`.ir-photo[data-sha256="${sha}"] img`).waitFor();
  assert.match(await detail.locator('#ir-fix').textContent(), /围栏/);
  await page.locator('#ir-fu-save').click();
  await page.locator('#ir-follow-up .el-form-item__error', { hasText: '请填写整改措施' }).waitFor();
  await page.locator('textarea#ir-fu-action').fill('约谈派出医院，责令整改');
  await page.locator('#ir-fu-status label', { hasText: '已办结' }).click();
  await page.locator('#ir-fu-save').click();
  await page.locator('#ir-fu-saved', { hasText: '已办结' }).waitFor();
  await shot(page, '07-inspection-record.png');
  await page.keyboard.press('Escape');

  const [file] = await Promise.all([page.waitForEvent('download'), page.locator('#ir-export-xlsx').click()]);
  const rows = await sheetRows(file, 'inspections.xlsx');
  assert.equal(rows[0][0], '督查记录登记表');
  const header = rows.findIndex((r) => r[0] === '督查时间');
  assert.ok(header > 0, 'a header row');
  assert.equal(rows[header][7], '缺岗人数');
  const totals = rows[rows.length - 1];
  assert.equal(totals[0], '合计');
  assert.equal(Number(totals[10]), rows.slice(header + 1, -1).reduce((n, r) => n + Number(r[10] || 0), 0), 'photos add up');
  assert.ok(Number(totals[10]) >= 1, 'the photo is counted');
  await page.close();
});

test('the monthly report is shown and downloaded as an XLSX that parses', async () => {
  const page = await newPage('reports');
  await logIn(page, '#/reports');
  // 填报人 and 联系电话 typed once go into the form and are remembered.
  await page.locator('#r-filled-by').fill('陈燕平');
  await page.locator('#r-contact-phone').fill('0597-7531234');
  await page.locator('#r-load').click();
  await page.locator('#report-table').waitFor();
  await page.locator('#report-header', { hasText: '填报人：陈燕平' }).waitFor();
  await page.locator('#monthly-subtotals', { hasText: '合计' }).waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#r-export-xlsx').click()]);
  const file = join(downloads, 'monthly.xlsx');
  await download.saveAs(file);
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(readFileSync(file));
  const sheet = book.worksheets[0];
  assert.ok(sheet && sheet.rowCount >= 1, 'a sheet with a header row');
  const cells = [];
  sheet.eachRow((row) => row.eachCell((cell) => cells.push(String(cell.value))));
  assert.ok(cells.some((c) => /医师|姓名/.test(c)), `a header names the physician: ${cells.slice(0, 20)}`);
  assert.equal(String(sheet.getCell('A1').value), '对口支援工作量月报表');
  assert.equal(String(sheet.getCell('A4').value), '填报人：陈燕平');
  assert.equal(String(sheet.getCell('A5').value), '联系电话：0597-7531234');
  assert.ok(cells.includes('合计'), 'a 合计 row');
  await shot(page, '08-report.png');
  // Reopened, the page still has the contact.
  await page.reload();
  await page.locator('#r-filled-by').waitFor();
  assert.equal(await page.locator('#r-filled-by').inputValue(), '陈燕平');
  await page.close();
});

test('compliance over a quarter shows its 合计 and each month under a requirement', async () => {
  const token = await accessToken(PHONE, PASSWORD);
  const m = thisMonth();
  const quarter = `${m.slice(0, 4)}-Q${Math.floor((Number(m.slice(5, 7)) - 1) / 3) + 1}`;
  const report = (await api('GET', `/api/v1/reports/compliance?period=${quarter}&jurisdiction_code=350881`, { token })).body;
  const page = await newPage('compliance-quarter');
  await logIn(page, `#/reports?kind=compliance&period=${quarter}&jurisdiction_code=350881`);
  await page.locator('#r-load').click();
  const totals = page.locator('#compliance-totals');
  await totals.waitFor();
  assert.match(await totals.textContent(), new RegExp(`合计：${report.totals.requirements}\\s*项要求`));
  const table = page.locator('#report-table');
  await table.waitFor();
  assert.equal(await table.locator('tbody > tr.el-table__row').count(), report.rows.length);
  const several = report.rows.findIndex((r) => r.periods.length > 1);
  if (several >= 0) {
    await table.locator('tbody > tr.el-table__row').nth(several).locator('.el-table__expand-icon').click();
    const detail = table.locator('.period-detail').first();
    await detail.waitFor();
    assert.equal(await detail.locator('tbody tr').count(), report.rows[several].periods.length);
  }
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#r-export-xlsx').click()]);
  assert.match(download.suggestedFilename(), new RegExp(`${quarter}\\.xlsx$`));
  await page.close();
});

test('visits, coverage and the dashboard', async (t) => {
  const token = await accessToken(PHONE, PASSWORD);
  const page = await newPage('console-api');
  await logIn(page);

  await t.test('the dashboard shows the API figures', async () => {
    const body = (await api('GET', `/api/v1/dashboard?month=${thisMonth()}`, { token })).body;
    await page.locator('#kpi-open').waitFor();
    assert.equal(Number(await page.locator('#kpi-open').textContent()), body.open_reviews.total);
    assert.equal((await page.locator('#kpi-coverage').textContent()).replace(/\s/g, ''), `${body.coverage.covered}/${body.coverage.clinics}`);
    assert.equal(Number(await page.locator('#kpi-visits').textContent()), body.this_month.visits);
    // The charts drawn to the end, not mid-animation.
    await page.locator('#dashboard-view .chart[data-rendered="true"]').nth(1).waitFor({ state: 'attached' });
    await shot(page, '09-dashboard.png');
  });

  await t.test('visits are filtered and one is opened with its map', async () => {
    await page.goto(`${BASE}/console/#/visits?site_id=${SITE_ID}&physician_id=${PHYSICIAN_ID}`);
    await page.reload();
    const open = page.locator('button.open-visit').first();
    await open.waitFor();
    assert.match(await page.locator('#visits-table').textContent(), new RegExp(PHYSICIAN_NAME));
    await open.click();
    await page.locator('#visit-detail #visit-map path.fix-marker').first().waitFor({ state: 'attached' });
    assert.ok(await page.locator('#visit-map path.fence').count() >= 1);
    await shot(page, '10-visit.png');
    await page.keyboard.press('Escape');
  });

  await t.test('coverage lists the clinic that got nobody', async () => {
    await page.locator('#side-menu [data-path="/coverage"]').click();
    await page.locator('#coverage-table').waitFor();
    const row = page.locator('#coverage-table tr', { hasText: EMPTY_CLINIC_NAME });
    await row.waitFor();
    assert.equal(await row.locator('.covered').getAttribute('data-value'), 'false');
    await shot(page, '11-coverage.png');
  });

  await t.test('coverage over a quarter downloads as a CSV with the empty clinic and the 合计', async () => {
    await page.locator('.el-select', { has: page.locator('#c-granularity') }).click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: '按季度' }).click();
    const quarter = `${thisMonth().slice(0, 4)}-Q${Math.floor((Number(thisMonth().slice(5, 7)) - 1) / 3) + 1}`;
    const body = (await api('GET', `/api/v1/reports/coverage?period=${quarter}`, { token })).body;
    await page.locator('#c-apply').click();
    await page.locator(`#coverage-totals[data-share="${body.covered_share}"]`).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#c-export-csv').click()]);
    assert.match(download.suggestedFilename(), new RegExp(`^coverage-.*-${quarter}\\.csv$`));
    const file = join(downloads, 'coverage.csv');
    await download.saveAs(file);
    const lines = readFileSync(file, 'utf8').replace(/^\uFEFF/, '').trim().split('\r\n');
    assert.ok(lines.some((l) => l.includes(EMPTY_CLINIC_NAME) && l.endsWith(',0,0,0,否')), lines.join('\n'));
    const total = lines[lines.length - 1].split(',');
    assert.equal(total[0], '合计');
    assert.match(total[6], new RegExp(`^已覆盖${body.covered}/${body.clinics}（`));
  });
  await page.close();
});

test('the visits list filtered by a physician exports an XLSX of exactly their services', async () => {
  const token = await accessToken(PHONE, PASSWORD);
  const listed = await api('GET', `/api/v1/visits?physician_id=${CREDITED_ID}&limit=500`, { token });
  assert.equal(listed.status, 200);
  const total = Number(listed.headers.get('x-total-count'));
  assert.ok(total >= 2, `yesterday's and today's services: ${total}`);
  const granted = listed.body.items.find((v) => v.status === 'auto_closed');
  assert.equal(granted?.credit, 'full', JSON.stringify(listed.body.items));

  const page = await newPage('visits-export');
  await logIn(page, `#/visits?physician_id=${CREDITED_ID}`);
  await page.locator(`#v-total[data-total="${total}"]`).waitFor();
  assert.equal(await page.locator('#visits-table tbody tr').count(), total);
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#v-export-xlsx').click()]);
  assert.match(download.suggestedFilename(), /\.xlsx$/);
  const rows = await sheetRows(download, 'visits.xlsx');
  const header = rows.findIndex((cells) => cells.includes('医师') && cells.includes('日期'));
  assert.ok(header >= 0, `a header row: ${JSON.stringify(rows.slice(0, 3))}`);
  const col = (name) => rows[header].indexOf(name);
  const body = rows.slice(header + 1).filter((cells) => cells.some(Boolean));
  assert.equal(body.length, total, 'one row per service of the filtered list');
  for (const cells of body) assert.equal(cells[col('医师')], CREDITED_NAME, `only the filtered physician: ${cells}`);
  const day = body.find((cells) => cells[col('日期')] === granted.local_date);
  assert.ok(day, `the granted day ${granted.local_date} is in the file`);
  assert.equal(day[col('计入')], '计1天');
  assert.equal(day[col('服务单位')], SITE_NAME);
  await page.close();
});

test('the compliance report drills down from the area to the county to its assignment rows', async () => {
  const token = await accessToken(PHONE, PASSWORD);
  const month = thisMonth();
  const report = (await api('GET', `/api/v1/reports/compliance?period=${month}`, { token })).body;
  const county = report.rows.filter((r) => r.county_code === '350881');
  assert.ok(county.length >= 4, `a row per assignment: ${county.length}`);
  const counts = { met: 0, on_track: 0, at_risk: 0, missed: 0 };
  for (const r of county) counts[r.status] += 1;

  const page = await newPage('compliance');
  await logIn(page, '#/reports');
  await page.locator('#reports-view .el-tabs__item', { hasText: '考核达标情况' }).click();
  await page.locator('#r-load').click();
  // Click down the areas until the assignment rows show (the world has one county).
  const groups = page.locator('#compliance-groups');
  await groups.waitFor();
  let clicks = 0;
  while (await groups.isVisible()) {
    assert.ok(clicks < 4, 'reaches the county within four clicks');
    const rowsShown = groups.locator('tbody tr');
    assert.equal(await rowsShown.count(), 1, 'one area on the way to 漳平市');
    // Each area's counts add its counties' rows up.
    const cells = await rowsShown.first().locator('td').allTextContents();
    assert.doesNotMatch(cells[0], /^\s*\d+\s*$/, 'an area by its name, not a bare code');
    assert.deepEqual(cells.slice(1).map(Number), [counts.met, counts.on_track, counts.at_risk, counts.missed], `counts of ${cells[0]}`);
    await groups.locator('button.drill').first().click();
    clicks += 1;
  }
  assert.ok(clicks >= 1);
  await page.locator('#drill-path', { hasText: '漳平市' }).waitFor();
  assert.match(await page.locator('#drill-path').textContent(), /^\s*全部\s*›\s*龙岩市\s*›\s*漳平市\s*$/);
  const table = page.locator('#report-table');
  await table.waitFor();
  assert.equal(await table.locator('tbody tr').count(), county.length);
  const text = await table.textContent();
  for (const r of county) assert.ok(text.includes(r.physician_name), `${r.physician_name} is listed`);
  await shot(page, '13-compliance-drill.png');
  // Back up to the top.
  await page.locator('#drill-path button', { hasText: '全部' }).click();
  await groups.waitFor();
  await page.close();
});

test('a county figure of the bureau is edited, saved, and read back after a reload and from the API', async () => {
  const token = await accessToken(PHONE, PASSWORD);
  const year = thisMonth().slice(0, 4);
  const before = (await api('GET', `/api/v1/reports/county-statistics?year=${year}`, { token })).body.rows.find((r) => r.county_code === '350881');
  const vehicles = (before.circuit_vehicles ?? 0) + 3;

  const page = await newPage('county-facts');
  await logIn(page, '#/reports?kind=county');
  const row = page.locator('#report-table .el-table__body tr', { hasText: '漳平市' }).first();
  await row.waitFor();
  const input = row.locator('input[aria-label="巡回医疗车辆"]');
  await input.fill(String(vehicles));
  await input.press('Tab');
  await row.locator('button', { hasText: '保存' }).click();
  await page.locator('#facts-msg', { hasText: '已保存' }).waitFor();

  const after = (await api('GET', `/api/v1/reports/county-statistics?year=${year}`, { token })).body.rows.find((r) => r.county_code === '350881');
  assert.equal(after.circuit_vehicles, vehicles);
  await page.reload();
  const again = page.locator('#report-table .el-table__body tr', { hasText: '漳平市' }).first().locator('input[aria-label="巡回医疗车辆"]');
  await again.waitFor();
  assert.equal(await again.inputValue(), String(vehicles));
  await page.close();
});

test('the dashboard\'s numbers lead to the lists they count', async () => {
  const token = await accessToken(PHONE, PASSWORD);
  const month = thisMonth();
  const dash = (await api('GET', `/api/v1/dashboard?month=${month}`, { token })).body;
  const open = (await api('GET', '/api/v1/anomalies?status=open&limit=500', { token })).body.items;
  assert.equal(open.length, dash.open_reviews.total);
  assert.ok(open.length >= 1, 'the inspection left an open anomaly');

  const page = await newPage('dashboard-links');
  await logIn(page);
  // Open reviews: the queue filtered to open, the same anomalies.
  await page.locator('#kpi-open', { hasText: String(dash.open_reviews.total) }).waitFor();
  await page.locator('#link-open').click();
  await page.waitForURL(/#\/anomalies\?status=open$/);
  await page.locator('#queue-table .status').first().waitFor();
  const statuses = await page.locator('#queue-table .status').evaluateAll((els) => els.map((e) => e.dataset.value));
  assert.deepEqual(statuses, open.slice(0, 20).map(() => 'open'));
  const shown = await page.locator('#queue-table button.open-anomaly').evaluateAll((els) => els.map((e) => e.dataset.id));
  assert.deepEqual(shown.sort(), open.slice(0, 20).map((a) => a.id).sort());

  // Services this month: the visit list for the month's dates, with the same total.
  await page.locator('#side-menu [data-path="/"]').click();
  await page.locator('#link-visits').click();
  await page.waitForURL(new RegExp(`#/visits\\?from=${month}-01&to=${month}-\\d\\d$`));
  const to = new URL(page.url().replace('#/visits', 'visits')).searchParams.get('to');
  const visits = await api('GET', `/api/v1/visits?from=${month}-01&to=${to}&limit=1`, { token });
  await page.locator(`#v-total[data-total="${visits.headers.get('x-total-count')}"]`).waitFor();

  // A county's compliance figure: that county's rows of the compliance report.
  await page.locator('#side-menu [data-path="/"]').click();
  const link = page.locator('#dash-compliance button.compliance-link[data-code="350881"][data-status="on_track"]');
  await link.click();
  await page.waitForURL(new RegExp(`#/reports\\?kind=compliance&month=${month}&jurisdiction_code=350881$`));
  const rows = (await api('GET', `/api/v1/reports/compliance?period=${month}&jurisdiction_code=350881`, { token })).body.rows;
  await page.locator('#drill-path', { hasText: '漳平市' }).waitFor();
  await page.locator('#report-table tbody tr').first().waitFor();
  assert.equal(await page.locator('#report-table tbody tr').count(), rows.length);
  await page.close();
});

test('a view whose API call fails shows the error, and a period with no data the empty state', async () => {
  const page = await newPage('states', { allow: /status of 500 / });
  await logIn(page);
  const failing = (route) => route.fulfill({
    status: 500,
    contentType: 'application/problem+json',
    body: JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: '服务暂时不可用', code: 'internal' }),
  });
  const coverage = (url) => url.pathname === '/api/v1/reports/coverage';
  await page.route(coverage, failing);
  await page.locator('#side-menu [data-path="/coverage"]').click();
  const alert = page.locator('#coverage-error');
  await alert.waitFor();
  assert.match(await alert.textContent(), /覆盖情况加载失败.*服务暂时不可用 \(internal\)/s);
  assert.match(await page.locator('#coverage-table').textContent(), /加载失败/);
  // Once the server answers again, Show clears the error.
  await page.unroute(coverage, failing);
  await page.locator('#c-apply').click();
  await page.locator('#coverage-table tr', { hasText: EMPTY_CLINIC_NAME }).waitFor();
  assert.equal(await alert.count(), 0);

  await page.route((url) => url.pathname === '/api/v1/dashboard', failing);
  await page.locator('#side-menu [data-path="/"]').click();
  await page.locator('#dashboard-error', { hasText: '服务暂时不可用' }).waitFor();
  assert.equal(await page.locator('#kpi-open').count(), 0);
  await page.unrouteAll();

  // A month long before any service: empty tables that say so.
  await page.goto(`${BASE}/console/#/visits?from=2020-01-01&to=2020-01-31`);
  await page.reload();
  await page.locator('#v-total[data-total="0"]').waitFor();
  await page.locator('#visits-table', { hasText: '没有符合条件的服务记录' }).waitFor();
  await page.goto(`${BASE}/console/#/reports?kind=monthly&month=2020-01`);
  await page.reload();
  await page.locator('#report-table', { hasText: '本期无数据' }).waitFor();
  assert.equal(await page.locator('#report-table tbody tr').count(), 0);
  await page.close();
});

test('the service record\'s physician is chosen by name with the keyboard, and their days match the API', async () => {
  const token = await accessToken(PHONE, PASSWORD);
  const record = (await api('GET', `/api/v1/physicians/${CREDITED_ID}/service-record`, { token })).body;
  assert.ok(record.cumulative_credited_days > 0, `the seeded physician has credit: ${JSON.stringify(record)}`);
  const page = await newPage('service-record');
  await logIn(page, '#/reports');
  await page.locator('#reports-view .el-tabs__item', { hasText: '医师考核登记表' }).click();
  // Labelled, and no physician id to type any more.
  const picker = page.locator('input#r-physician');
  await picker.waitFor();
  assert.match(await picker.getAttribute('aria-label'), /医师/);
  assert.equal(await page.locator('label[for="r-physician"]').textContent(), '医师');
  // Without a choice, Show says to choose one.
  await page.locator('#r-load').click();
  await page.locator('#report-error', { hasText: '请先选择医师' }).waitFor();

  // Part of the name, then the keyboard: arrow down to the one option, Enter.
  await picker.focus();
  await page.keyboard.type(CREDITED_NAME.slice(1));
  const option = page.locator(`.el-select-dropdown__item:visible[data-physician-id="${CREDITED_ID}"]`);
  await option.waitFor();
  assert.equal(await page.locator('.el-select-dropdown__item:visible').count(), 1, 'only the matching physician');
  assert.match(await option.textContent(), new RegExp(`${CREDITED_NAME}.*主任医师.*${CREDITED_PHONE.slice(0, 3)}\\*{4}${CREDITED_PHONE.slice(-4)}`));
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  // Choosing shows the record at once.
  await page.locator('#service-who', { hasText: CREDITED_NAME }).waitFor();
  assert.equal(Number(await page.locator('#service-days').textContent()), record.cumulative_credited_days);
  const postings = page.locator('#report-table tbody tr');
  assert.equal(await postings.count(), record.postings.length);
  const first = await postings.first().textContent();
  for (const value of [record.postings[0].site_name, record.postings[0].start_date, record.postings[0].end_date, record.postings[0].last_credited]) {
    assert.ok(first.includes(value), `the posting shows ${value}: ${first}`);
  }

  await shot(page, '12-service-record.png');

  // By the phone's last four digits (尾号) too: the search the picker sends finds them.
  const tail = CREDITED_PHONE.slice(-4);
  await picker.focus();
  const [found] = await Promise.all([
    page.waitForResponse((res) => res.url().includes('/api/v1/physicians?') && new URL(res.url()).searchParams.get('q') === tail),
    page.keyboard.type(tail),
  ]);
  assert.deepEqual((await found.json()).items.map((p) => p.id), [CREDITED_ID]);
  await option.waitFor();
  await page.close();
});

test('报表报送: a late report shown as late is filed, accepted by the city, and amended with its versions and frozen hashes', async () => {
  const admin = await accessToken(env('BROWSER_ADMIN_PHONE'), env('BROWSER_ADMIN_PASSWORD'));
  const countyPhone = `137${String(Date.now()).slice(-8)}`;
  await accountBy(admin, { role: 'supervisor', name: '林科员', phone: countyPhone, password: PASSWORD, jurisdiction_code: '350881' });
  // 漳平's monthly duty from the month before last: that month was due on the 2nd of last month.
  const [y, m] = thisMonth().split('-').map(Number);
  const lateMonth = new Date(Date.UTC(y, m - 3, 1)).toISOString().slice(0, 7);
  const duty = await api('POST', '/api/v1/filing-calendar/obligations', { token: admin, body: { template: 'zhangping_monthly', jurisdiction_code: '350881', starts_on: `${lateMonth}-01` } });
  assert.equal(duty.status, 201, JSON.stringify(duty.body));

  const county = await newPage('filings-county');
  await county.goto(`${BASE}/console/#/filings`);
  await county.locator('#login-phone').fill(countyPhone);
  await county.locator('#login-password').fill(PASSWORD);
  await county.locator('#login-submit').click();
  const late = county.locator(`#calendar-table .due-state[data-period="${lateMonth}"]`);
  await late.waitFor();
  assert.equal(await late.getAttribute('data-state'), 'late');
  assert.match(await late.textContent(), /^逾期\d+天$/);
  assert.match(await late.getAttribute('class'), /el-tag--danger/, 'a late report is shown in red');

  // File it: the three parts of the form, a preview of the figures, submit.
  await county.locator(`.file-entry[data-period="${lateMonth}"]`).click();
  await county.locator('#ff-achievements').fill('派驻医师均按要求到岗服务。');
  await county.locator('#ff-next-steps').fill('下月继续开展巡回医疗。');
  await county.locator('#ff-submit').click();
  await county.locator('#filing-form .el-form-item__error', { hasText: '请填写存在问题' }).waitFor();
  await county.locator('#ff-problems').fill('个别乡镇网络信号差。');
  await county.locator('#ff-preview-btn').click();
  await county.locator('#filing-form h4', { hasText: '数据预览' }).waitFor();
  await county.locator('#ff-submit').click();
  await county.locator('#fd-status[data-status="submitted"]').waitFor();
  const sha1 = (await county.locator('#versions-table .sha[data-version="1"]').textContent()).trim();
  assert.match(sha1, /^[0-9a-f]{64}$/);
  const [download] = await Promise.all([county.waitForEvent('download'), county.locator('.download-version[data-version="1"]').click()]);
  const file = join(downloads, 'filing-v1.xlsx');
  await download.saveAs(file);
  assert.equal(createHash('sha256').update(readFileSync(file)).digest('hex'), sha1, 'the file downloaded is the one whose hash is shown');
  const rows = await sheetRows(download, 'filing-v1-rows.xlsx');
  assert.ok(rows.flat().some((c) => /姓名/.test(c ?? '')), 'the frozen file has the form\'s headers');
  await county.keyboard.press('Escape');
  await county.locator(`#calendar-table .due-state[data-period="${lateMonth}"][data-state="filed_late"]`).waitFor();
  assert.match(await late.textContent(), /^迟报\d+天$/);
  await shot(county, '12-filings.png');

  // The city (the level above) accepts it from its review queue.
  const city = await newPage('filings-city');
  await logIn(city, '#/filings');
  await city.locator('#tab-review').click();
  const accept = city.locator('#review-table .accept-filing').first();
  await accept.waitFor();
  await accept.click();
  await city.locator('#tab-review', { hasText: '（0）' }).waitFor();
  await city.close();

  // The county amends it: version 2 replaces version 1, whose frozen file stays.
  await county.reload();
  await county.locator(`.open-filing[data-period="${lateMonth}"]`).click();
  await county.locator('#fd-status[data-status="accepted"]').waitFor();
  await county.locator('#fd-amend').click();
  await county.locator('#ff-achievements').fill('更正：补充11月巡诊数据。');
  await county.locator('#ff-submit').click();
  await county.locator('#fd-status[data-status="submitted"]').waitFor();
  await county.locator('#versions-table .version-status[data-version="1"]', { hasText: '已更正' }).waitFor();
  assert.equal((await county.locator('#versions-table .sha[data-version="1"]').textContent()).trim(), sha1);
  assert.match(await county.locator('#versions-table .sha[data-version="2"]').textContent(), /^[0-9a-f]{64}$/);
  await shot(county, '13-filing-versions.png');
  await county.close();
});

// ---- administration (issue 20) ----------------------------------------------------

const ADMIN_PHONE = env('BROWSER_ADMIN_PHONE');
const ADMIN_PASSWORD = env('BROWSER_ADMIN_PASSWORD');

async function logInAs(page, phone, password, hash = '') {
  await page.goto(`${BASE}/console/${hash}`);
  await page.locator('#login-phone').fill(phone);
  await page.locator('#login-password').fill(password);
  await page.locator('#login-submit').click();
  await page.locator('#app-view').waitFor({ state: 'visible' });
}

/** Picks the option `text` of the Element Plus select whose input has `id`. */
async function choose(page, id, text) {
  await page.locator('.el-select', { has: page.locator(`#${id}`) }).click();
  const exact = new RegExp(`^\\s*${text.replace(/[()（）]/g, '.')}\\s*$`);
  await page.locator('.el-select-dropdown__item:visible', { hasText: exact }).first().click();
}

/** Clicks the map at `dx`, `dy` pixels from its centre. */
async function clickMap(page, dx, dy) {
  const box = await page.locator('#site-form .fence-map').boundingBox();
  await page.mouse.click(box.x + box.width / 2 + dx, box.y + box.height / 2 + dy);
}

/** A check-in at `lat`, `lon` with the kiosk's current code. */
async function checkIn(token, kioskToken, lat, lon) {
  const code = await api('GET', '/api/v1/kiosk/code', { token: kioskToken });
  assert.equal(code.status, 200, JSON.stringify(code.body));
  return api('POST', '/api/v1/attendance/check-in', {
    token,
    body: {
      client_event_id: crypto.randomUUID(), qr_payload: code.body.payload, device_id: 'admin-test-phone',
      location: { lat, lon, accuracy_m: 8, crs: 'wgs84', is_mock: false },
    },
  });
}

test('an administrator adds an area and a site whose polygon is drawn by clicks, and real check-ins are judged against it', async (t) => {
  const adminToken = await accessToken(ADMIN_PHONE, ADMIN_PASSWORD);
  const page = await newPage('admin-sites', { allow: /status of 400/ });
  await logInAs(page, ADMIN_PHONE, ADMIN_PASSWORD, '#/admin/sites');
  await page.locator('#jurisdiction-tree .tree-node[data-code="350881"]').waitFor();

  await t.test('a new county: the API\'s refusal shows next to the field', async () => {
    await page.locator('.tree-node[data-code="350800"]').click();
    await page.locator('#new-jurisdiction').click();
    // Under a city the dialog proposes a county there.
    assert.match(await page.locator('.el-select', { has: page.locator('#j-parent') }).textContent(), /龙岩市（350800）/);
    await page.locator('#j-code').fill('35082');
    await page.locator('#j-name').fill('连城县');
    await page.locator('#j-submit').click();
    await page.locator('#jurisdiction-form .el-form-item__error', { hasText: '6 位数字' }).waitFor();
    // A code the server refuses (already taken) comes back as its detail, under the code.
    await page.locator('#j-code').fill('350881');
    await page.locator('#j-submit').click();
    await page.locator('#jurisdiction-form .el-form-item__error, #j-error').first().waitFor();
    await page.locator('#j-code').fill('350825');
    await page.locator('#j-submit').click();
    await page.locator('#jurisdiction-tree .tree-node[data-code="350825"]').waitFor();
    const listed = await api('GET', '/api/v1/jurisdictions/350825', { token: adminToken });
    assert.equal(listed.status, 200);
    assert.equal(listed.body.parent_code, '350800');
  });

  let siteId;
  let fence;
  await t.test('a polygon drawn by clicking: a bow-tie is refused with the server\'s words, a square is saved', async () => {
    await page.locator('#new-site').click();
    await page.locator('#site-form').waitFor();
    await page.locator('#s-name').fill('庙前镇卫生院');
    await choose(page, 's-kind', '乡镇卫生院');
    await choose(page, 's-jurisdiction', '连城县');
    // A circle typed in first puts the map over the township; then the corners are clicked.
    await page.locator('#fence-mode label', { hasText: '圆形' }).click();
    await page.locator('#fence-lat').fill('25.7105');
    await page.locator('#fence-lon').fill('116.7520');
    await page.locator('#fence-lon').press('Tab');
    await page.locator('.fence-draft').first().waitFor();
    await page.locator('#site-form button', { hasText: '缩放到围栏' }).click();
    await page.locator('#fence-mode label', { hasText: '多边形' }).click();
    // Let the zoom animation end: a click on a moving map lands elsewhere.
    await page.waitForTimeout(800);
    // Corners in a crossing order: a bow-tie, which the server refuses as self-intersecting.
    for (const [dx, dy] of [[-120, -100], [120, -100], [-120, 100], [120, 100]]) await clickMap(page, dx, dy);
    await page.locator('#fence-point-count', { hasText: '4' }).waitFor();
    const before = (await api('GET', '/api/v1/organizations?limit=500', { token: adminToken })).body.items.length;
    await page.locator('#s-save').click();
    const refusal = page.locator('#site-form .el-form-item__error', { hasText: 'geofence' });
    await refusal.waitFor();
    assert.match(await refusal.textContent(), /geofence:/);
    assert.equal((await api('GET', '/api/v1/organizations?limit=500', { token: adminToken })).body.items.length, before, 'nothing was created');

    await page.locator('#fence-clear').click();
    for (const [dx, dy] of [[-120, -100], [120, -100], [120, 100], [-120, 100]]) await clickMap(page, dx, dy);
    assert.equal(await page.locator('#fence-points tbody tr').count(), 4);
    await page.locator('#s-save').click();
    await page.waitForURL(/#\/admin\/sites\/[0-9a-f-]{36}$/);
    siteId = page.url().split('/').pop();
    await page.locator('#fence-versions tbody tr', { hasText: '第 1 版' }).waitFor();
    await shot(page, '20-site-fence.png');
    const site = (await api('GET', `/api/v1/organizations/${siteId}`, { token: adminToken })).body;
    assert.equal(site.name, '庙前镇卫生院');
    assert.equal(site.jurisdiction_code, '350825');
    fence = site.geofence;
    assert.equal(fence.type, 'Polygon');
    assert.equal(fence.coordinates[0].length, 5, 'four corners and the closing one');
    // The clicked square lies around the typed centre, a few hundred metres across.
    const lats = fence.coordinates[0].map(([, lat]) => lat);
    const lons = fence.coordinates[0].map(([lon]) => lon);
    assert.ok(Math.min(...lats) < 25.7105 && Math.max(...lats) > 25.7105, `lat span ${lats}`);
    assert.ok(Math.min(...lons) < 116.752 && Math.max(...lons) > 116.752, `lon span ${lons}`);
    const spanM = (Math.max(...lats) - Math.min(...lats)) * 111_320;
    assert.ok(spanM > 50 && spanM < 2_000, `${spanM} m tall`);
  });

  await t.test('a physician scanning inside the drawn polygon is accepted, outside refused', async () => {
    const phone = '13700000020';
    const program = await api('POST', '/api/v1/programs', { token: adminToken, body: { name: '连城县医师下基层', jurisdiction_code: '350825', requirements: [{ period: 'month', min_days: 1 }] } });
    assert.equal(program.status, 201, JSON.stringify(program.body));
    const hospital = (await api('GET', '/api/v1/organizations?limit=500', { token: adminToken })).body.items.find((o) => o.kind === 'hospital');
    const physician = { body: await accountBy(adminToken, { role: 'physician', name: '罗建平', phone, password: PASSWORD_OF_NEW_USERS, organization_id: hospital.id }) };
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    const assignment = await api('POST', '/api/v1/assignments', { token: adminToken, body: {
      physician_id: physician.body.id, site_id: siteId, program_id: program.body.id, mode: 'circuit',
      start_date: today, end_date: today, window_start: '00:00', window_end: '23:59' } });
    assert.equal(assignment.status, 201, JSON.stringify(assignment.body));
    const kiosk = await api('POST', `/api/v1/organizations/${siteId}/kiosks`, { token: adminToken, body: {} });
    assert.equal(kiosk.status, 201);
    const token = await accessToken(phone, PASSWORD_OF_NEW_USERS);

    const ring = fence.coordinates[0].slice(0, 4);
    const inside = { lat: ring.reduce((s, [, lat]) => s + lat, 0) / 4, lon: ring.reduce((s, [lon]) => s + lon, 0) / 4 };
    const outside = await checkIn(token, kiosk.body.token, inside.lat + 0.02, inside.lon);
    assert.equal(outside.status, 422, JSON.stringify(outside.body));
    assert.equal(outside.body.code, 'outside_geofence');
    const accepted = await checkIn(token, kiosk.body.token, inside.lat, inside.lon);
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
    assert.equal(accepted.body.distance_to_fence_m, 0);

    // The site's page lists both attempts and the visit under version 1.
    await page.reload();
    const row = page.locator('#fence-versions tbody tr', { hasText: '第 1 版' });
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    assert.ok(cells.includes('2') && cells.includes('1'), `attempts 2, refused 1, visits 1: ${cells}`);
    await row.locator('.el-table__expand-icon').click();
    await page.locator('.visits-judged[data-version="1"] .person', { hasText: '罗建平' }).waitFor();
  });
  await page.close();
});

/** Confirms the Element Plus message box that is open. */
async function confirmBox(page) {
  await page.locator('.el-message-box__btns .el-button--primary').click();
}

test('people: created with the API\'s checks, edited, a password reset handed over once and changed at the next login, deactivated', async (t) => {
  const adminToken = await accessToken(ADMIN_PHONE, ADMIN_PASSWORD);
  const page = await newPage('admin-people', { allow: /status of (400|409)/ });
  await logInAs(page, ADMIN_PHONE, ADMIN_PASSWORD, '#/admin/people');
  await page.locator('#people-table').waitFor();
  const phone = '13700000021';
  const name = '黄嘉怡';

  await t.test('create: a bad phone is refused beside the field, a taken one with the server\'s words', async () => {
    await page.locator('#p-new').click();
    await page.locator('#u-name').fill(name);
    await page.locator('#u-phone').fill('1370000');
    await page.locator('#u-password').fill('first-pass-123');
    await choose(page, 'u-organization', '漳平市医院');
    await page.locator('#u-submit').click();
    await page.locator('#person-form .el-form-item__error', { hasText: '11 位' }).waitFor();
    await page.locator('#u-phone').fill(env('BROWSER_MOBILE_PHONE'));
    await page.locator('#u-submit').click();
    await page.locator('#u-error', { hasText: 'phone' }).waitFor();
    await page.locator('#u-phone').fill(phone);
    await page.locator('#u-title').fill('住院医师');
    await page.locator('#u-submit').click();
    await page.locator('#person-form').waitFor({ state: 'hidden' });
    await page.locator('#p-q').fill(name);
    await page.locator('#p-search').click();
    await page.locator('#people-table tbody tr', { hasText: phone }).waitFor();
  });

  let userId;
  await t.test('edit the title, then the physician\'s page', async () => {
    const row = page.locator('#people-table tbody tr', { hasText: phone });
    userId = await row.locator('.person-actions').getAttribute('data-id');
    await row.locator('.p-edit').click();
    await page.locator('#u-title').fill('主治医师');
    // 从业年份 is checked beside the field, then stored with the 类别.
    await page.locator('#u-practice-since').fill('12');
    await page.locator('#u-submit').click();
    await page.locator('#person-form .el-form-item__error', { hasText: '四位年份' }).waitFor();
    await page.locator('#u-practice-since').fill('2012');
    await choose(page, 'u-discipline', '临床');
    await page.locator('#u-submit').click();
    await page.locator('#people-table tbody tr', { hasText: '主治医师' }).waitFor();
    const stored = await api('GET', `/api/v1/users/${userId}`, { token: adminToken });
    assert.equal(stored.body.title, '主治医师');
    assert.equal(stored.body.practice_since_year, 2012);
    assert.equal(stored.body.discipline, 'clinical');
    await row.locator('.person-link').click();
    await page.locator('#ph-name', { hasText: name }).waitFor();
    await page.locator('#ph-qualification', { hasText: '2012 / 临床' }).waitFor();
    await page.locator('#ph-postings').waitFor();
    await page.goBack();
    await page.locator('#people-table').waitFor();
  });

  await t.test('a one-time password is shown once and must be changed on the phone at the next login', async () => {
    await page.locator('#p-q').fill(name);
    await page.locator('#p-search').click();
    await page.locator('#people-table tbody tr', { hasText: phone }).locator('.p-reset').click();
    await confirmBox(page);
    const otp = (await page.locator('#one-time-password').textContent()).trim();
    assert.match(otp, /^[A-Z2-9]{12}$/);
    await shot(page, '21-one-time-password.png');
    await page.locator('#one-time-close').click();
    // Gone from the page once closed, not merely hidden.
    await page.locator('#one-time-password').waitFor({ state: 'detached' });

    const phonePage = await newPage('admin-people-phone');
    await phonePage.goto(`${BASE}/m/`);
    await phonePage.locator('#login-phone').fill(phone);
    await phonePage.locator('#login-password').fill(otp);
    await phonePage.locator('#login-submit').click();
    await phonePage.locator('#password-view').waitFor();
    await phonePage.locator('#pw-new').fill('my-own-pass-77');
    await phonePage.locator('#pw-repeat').fill('my-own-pass-77');
    await phonePage.locator('#pw-submit').click();
    await phonePage.locator('#app-view').waitFor();
    await phonePage.close();
    const login = await api('POST', '/api/v1/auth/login', { body: { phone, password: 'my-own-pass-77' } });
    assert.equal(login.status, 200);
    assert.equal(login.body.must_change_password, false);
  });

  await t.test('a supervisor given a one-time password sets their own in the console first', async () => {
    const supervisorPhone = '13900000031';
    const created = await api('POST', '/api/v1/users', { token: adminToken, body: { role: 'supervisor', name: '郑督查', phone: supervisorPhone, password: 'start-pass-123', jurisdiction_code: '350800' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const reset = await api('POST', `/api/v1/users/${created.body.id}/password-reset`, { token: adminToken });
    assert.equal(reset.status, 200);
    const other = await newPage('admin-people-supervisor', { allow: /status of 400/ });
    await logInAsFirst(other, supervisorPhone, reset.body.one_time_password);
    await other.locator('#password-change').waitFor();
    await other.locator('#pw-current').fill('wrong-one-time');
    await other.locator('#pw-new').fill('supervisor-own-1');
    await other.locator('#pw-repeat').fill('supervisor-own-1');
    await other.locator('#pw-submit').click();
    await other.locator('#password-change .el-form-item__error', { hasText: 'current_password' }).waitFor();
    await other.locator('#pw-current').fill(reset.body.one_time_password);
    await other.locator('#pw-submit').click();
    await other.locator('#app-view').waitFor();
    await other.close();
  });

  await t.test('deactivate: the account cannot sign in and leaves the active list', async () => {
    await page.locator('#p-q').fill(name);
    await page.locator('#p-search').click();
    await page.locator('#people-table tbody tr', { hasText: phone }).locator('.p-deactivate').click();
    await confirmBox(page);
    await page.locator('#people-table tbody tr', { hasText: phone }).waitFor({ state: 'detached' });
    const stored = await api('GET', `/api/v1/users/${userId}`, { token: adminToken });
    assert.equal(stored.body.active, false);
    const login = await api('POST', '/api/v1/auth/login', { body: { phone, password: 'my-own-pass-77' } });
    assert.equal(login.status, 401);
  });
  await page.close();
});

/** Signs in on the console's form without waiting for the application (a first login may stop at the password form). */
async function logInAsFirst(page, phone, password) {
  await page.goto(`${BASE}/console/`);
  await page.locator('#login-phone').fill(phone);
  await page.locator('#login-password').fill(password);
  await page.locator('#login-submit').click();
}

test('a wall screen is enrolled from the site\'s page, opened from its link\'s QR code, seen, revoked; a week of daily codes printed', async () => {
  const page = await newPage('admin-kiosks');
  await logInAs(page, ADMIN_PHONE, ADMIN_PASSWORD, `#/admin/sites/${SITE_ID}`);
  await page.locator('#kiosks-table').waitFor();
  await page.locator('#k-label').fill('门诊大厅');
  await page.locator('#k-enrol').click();
  const link = await page.locator('#k-link').inputValue();
  assert.match(link, new RegExp(`^${BASE.replace(/[.]/g, '\\.')}/kiosk#token=[A-Za-z0-9._-]+$`));
  // The QR code on the page reads back as the link.
  const qr = page.locator('#k-qr');
  await qr.evaluate((img) => img.decode());
  assert.equal(decodeQrPng(await qr.screenshot()), link);
  await shot(page, '22-kiosk-enrolled.png');

  // The screen opens the link and shows a code; its contact shows on the list.
  const screen = await newPage('admin-kiosks-screen');
  await screen.goto(link);
  await screen.locator('#qr-img').waitFor();
  await screen.close();
  await page.reload();
  const row = page.locator('#kiosks-table tbody tr', { hasText: '门诊大厅' });
  await row.locator('.k-seen', { hasText: '刚刚' }).waitFor();

  await row.locator('.k-revoke').click();
  await confirmBox(page);
  await row.locator('.el-tag', { hasText: '已撤销' }).waitFor();
  const token = decodeURIComponent(link.split('#token=')[1]);
  const refused = await api('GET', '/api/v1/kiosk/code', { token });
  assert.equal(refused.status, 401, 'the revoked screen gets no code');

  const [file] = await Promise.all([page.waitForEvent('download'), page.locator('#k-print').click()]);
  const saved = join(downloads, 'daily-codes.html');
  await file.saveAs(saved);
  const html = readFileSync(saved, 'utf8');
  assert.ok(html.includes(SITE_NAME), 'the sheet names the site');
  assert.equal((html.match(/<section class="card">/g) ?? []).length, 7, 'a card a day for a week');
  await page.close();
});

test('the audit log filtered by what was done shows who, when, before and after, and the chain verifies', async () => {
  const adminToken = await accessToken(ADMIN_PHONE, ADMIN_PASSWORD);
  const created = await api('POST', '/api/v1/jurisdictions', { token: adminToken, body: { code: '350821', name: '长汀县', level: 'county', parent_code: '350800' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const page = await newPage('admin-audit');
  await logInAs(page, ADMIN_PHONE, ADMIN_PASSWORD, '#/admin/audit');
  await page.locator('#audit-table').waitFor();
  await page.locator('#audit-verify').click();
  await page.locator('#audit-verdict[data-intact="true"]').waitFor();

  await choose(page, 'a-action', '新建辖区');
  const row = page.locator('#audit-table > .el-table__inner-wrapper > .el-table__body-wrapper tbody tr', { hasText: '长汀县' }).first();
  await row.waitFor();
  const text = await row.textContent();
  assert.match(text, /Administrator/, 'who');
  assert.ok(!(await page.locator('.audit-action').allTextContents()).some((a) => a !== '新建辖区'), 'only that action');
  await row.locator('.el-table__expand-icon').click();
  const changes = page.locator('.audit-changes tbody tr', { hasText: 'parent_code' });
  await changes.waitFor();
  assert.match(await changes.textContent(), /350800/);
  await shot(page, '23-audit.png');
  await page.close();
});

test('节假日安排: the shipped year is listed, a new year is loaded as typed from the notice, and a bad line or date is refused beside the field', async () => {
  const adminToken = await accessToken(ADMIN_PHONE, ADMIN_PASSWORD);
  const page = await newPage('admin-holidays', { allow: /status of 400/ });
  await logInAs(page, ADMIN_PHONE, ADMIN_PASSWORD, '#/admin/holidays');
  const row2026 = page.locator('#hol-table .el-table__body-wrapper tbody tr', { hasText: '2026' }).first();
  await row2026.waitFor();
  // The schedule shipped for 2026: 33 days off and 6 weekend days worked (调休).
  assert.equal((await row2026.locator('.hol-holidays').textContent()).trim(), '33');
  assert.equal((await row2026.locator('.hol-workdays').textContent()).trim(), '6');

  await page.locator('#hol-load').click();
  const dialog = page.locator('.el-dialog:visible');
  await dialog.waitFor();
  await page.locator('#hol-year').fill('2027');
  await page.locator('#hol-year').press('Tab');
  await page.locator('#hol-source').fill('测试用安排');
  const lines = page.locator('#hol-lines');
  // A line the notice's form does not have is named by its number, and nothing is sent.
  await lines.fill('2027-01-01 放假 元旦\n2027/01/02 放假');
  await page.locator('#hol-save').click();
  await dialog.locator('.el-form-item__error', { hasText: '第2行' }).waitFor();
  // A date outside the year is the server's refusal, shown beside the dates.
  await lines.fill('2027-01-01 放假 元旦\n2026-12-31 放假 元旦');
  await page.locator('#hol-save').click();
  await dialog.locator('.el-form-item__error', { hasText: '2026-12-31' }).waitFor();
  const before = await api('GET', '/api/v1/holiday-calendars', { token: adminToken });
  assert.ok(!before.body.some((c) => c.year === 2027), 'nothing stored for 2027 yet');

  await lines.fill('2027-01-01 放假 元旦\n2027-01-02 放假 元旦\n2027-01-03 放假 元旦\n2027-02-07 上班 春节调休');
  await page.locator('#hol-save').click();
  await dialog.waitFor({ state: 'hidden' });
  const row2027 = page.locator('#hol-table .el-table__body-wrapper tbody tr', { hasText: '测试用安排' }).first();
  await row2027.waitFor();
  assert.equal((await row2027.locator('.hol-holidays').textContent()).trim(), '3');
  assert.equal((await row2027.locator('.hol-workdays').textContent()).trim(), '1');
  const after = await api('GET', '/api/v1/holiday-calendars', { token: adminToken });
  const y2027 = after.body.find((c) => c.year === 2027);
  assert.deepEqual(y2027.days.map((d) => [d.date, d.kind]), [
    ['2027-01-01', 'holiday'], ['2027-01-02', 'holiday'], ['2027-01-03', 'holiday'], ['2027-02-07', 'workday'],
  ]);
  await page.close();
});

test('a programme is created from a circular\'s template with its rules in words, and its minutes edited as the API checks them', async () => {
  const adminToken = await accessToken(ADMIN_PHONE, ADMIN_PASSWORD);
  const page = await newPage('admin-programs', { allow: /status of 400/ });
  await logInAs(page, ADMIN_PHONE, ADMIN_PASSWORD, '#/admin/programs');
  await page.locator('#programs-table').waitFor();
  await page.locator('#prog-new').click();
  await choose(page, 'prog-template', '中站区城乡医院对口支援（驻点）');
  const words = await page.locator('#prog-requirements li').allTextContents();
  assert.ok(words.length >= 1 && words.every((w) => /[\u4e00-\u9fff]/.test(w)), `requirements in words: ${words}`);
  assert.ok((await page.locator('#prog-basis').textContent()).length > 10, 'the circular\'s wording');
  await page.locator('#prog-name').fill('漳平市2026年驻点帮扶');
  await choose(page, 'prog-area', '漳平市');
  await page.locator('#prog-submit').click();
  const row = page.locator('#programs-table tbody tr', { hasText: '漳平市2026年驻点帮扶' });
  await row.waitFor();
  assert.deepEqual(await row.locator('.req-list li').allTextContents(), words);
  const stored = (await api('GET', '/api/v1/programs?limit=500', { token: adminToken })).body.items.find((p) => p.name === '漳平市2026年驻点帮扶');
  assert.equal(stored.jurisdiction_code, '350881');
  assert.deepEqual(stored.requirements_zh, words);

  await row.locator('.prog-edit').click();
  await page.locator('#min-half').fill('500');
  await page.locator('#min-full').fill('400');
  await page.locator('#min-full').press('Tab');
  await page.locator('#min-save').click();
  await page.locator('#minutes-form .el-form-item__error', { hasText: 'half_day_minutes' }).waitFor();
  await page.locator('#min-half').fill('150');
  await page.locator('#min-full').fill('300');
  await page.locator('#min-full').press('Tab');
  await page.locator('#min-save').click();
  await row.locator('.prog-minutes', { hasText: '2小时30分钟 / 5小时0分钟' }).waitFor();
  const read = await api('GET', `/api/v1/programs/${stored.id}`, { token: adminToken });
  assert.equal(read.body.half_day_minutes, 150);
  assert.equal(read.body.full_day_minutes, 300);
  await page.close();
});

test('a workload target (诊疗人次目标) is added to the 光山 template\'s rules and worded', async () => {
  const adminToken = await accessToken(ADMIN_PHONE, ADMIN_PASSWORD);
  const page = await newPage('admin-program-target');
  await logInAs(page, ADMIN_PHONE, ADMIN_PASSWORD, '#/admin/programs');
  await page.locator('#programs-table').waitFor();
  await page.locator('#prog-new').click();
  await choose(page, 'prog-template', '光山县医疗服务集团牵头医院优质资源下沉');
  const words = await page.locator('#prog-requirements li').allTextContents();
  assert.ok(!words.some((w) => /人次/.test(w)), `the circular states no number: ${words}`);
  await page.locator('#prog-name').fill('漳平市2026年门诊目标');
  await choose(page, 'prog-area', '漳平市');
  await page.locator('#prog-target-count').fill('300');
  await page.locator('#prog-target-count').press('Tab');
  await page.locator('#prog-submit').click();
  const row = page.locator('#programs-table tbody tr', { hasText: '漳平市2026年门诊目标' });
  await row.waitFor();
  assert.deepEqual(await row.locator('.req-list li').allTextContents(), [...words, '每月门诊诊疗不少于300人次']);
  const stored = (await api('GET', '/api/v1/programs?limit=500', { token: adminToken })).body.items.find((p) => p.name === '漳平市2026年门诊目标');
  assert.deepEqual(stored.requirements.at(-1), { period: 'month', activity: 'outpatient', min_activity_count: 300 });
  await page.close();
});

test('the personnel table: a preview lists the bad rows and writes nothing, the fixed table imports and shows its initial passwords once', async () => {
  const adminToken = await accessToken(ADMIN_PHONE, ADMIN_PASSWORD);
  const dir = mkdtempSync(join(tmpdir(), 'xiaxiang-import-'));
  const table = (rows) => '\ufeff漳平市医院下派乡镇卫生院名单,,,,,,\n牵头医院名称,姓名,性别,专业,职称,电话,拟下派乡镇卫生院\n' + rows.map((r) => r.join(',')).join('\n') + '\n';
  const bad = join(dir, '附件1-有误.csv');
  const good = join(dir, '附件1.csv');
  writeFileSync(bad, table([
    ['漳平市医院', '陈明', '男', '内科', '主治医师', '13700000031', SITE_NAME],
    ['', '刘芳', '女', '儿科', '住院医师', '1370000', SITE_NAME],
    ['', '吴强', '男', '外科', '', '13700000033', '不存在卫生院'],
  ]));
  writeFileSync(good, table([
    ['漳平市医院', '陈明', '男', '内科', '主治医师', '13700000031', SITE_NAME],
    ['', '刘芳', '女', '儿科', '住院医师', '13700000032', SITE_NAME],
    ['', '吴强', '男', '外科', '', '13700000033', SITE_NAME],
  ]));
  const findUser = async (phone) => (await api('GET', `/api/v1/users?q=${phone}`, { token: adminToken })).body.items;

  const page = await newPage('admin-import');
  await logInAs(page, ADMIN_PHONE, ADMIN_PASSWORD, '#/admin/import');
  await choose(page, 'imp-program', '漳平市医师下基层');
  const [from, to] = [page.locator('#import-form .el-range-input').nth(0), page.locator('#import-form .el-range-input').nth(1)];
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  await from.fill(today);
  await to.fill(`${Number(today.slice(0, 4)) + 1}${today.slice(4)}`);
  await to.press('Enter');
  await page.locator('#imp-file').setInputFiles(bad);
  await page.locator('#imp-preview').click();
  await page.locator('#imp-preview-result[data-ok="false"]').waitFor();
  const errors = await page.locator('#imp-errors tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent.trim())));
  assert.deepEqual(errors, [['4', '电话'], ['5', '受援单位']]);
  const reasons = await page.locator('#imp-errors tbody tr').evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll('td')[2]?.textContent.trim()));
  assert.match(reasons[0], /不是11位的大陆手机号码/, 'the reason reads in Chinese');
  assert.match(reasons[1], /^找不到名为/, 'the reason reads in Chinese');
  assert.equal(await page.locator('#imp-run').isDisabled(), true, 'no import from a bad preview');
  await shot(page, '24-import-preview.png');
  assert.deepEqual(await findUser('13700000031'), [], 'the preview wrote nobody');

  await page.locator('#imp-file').setInputFiles(good);
  await page.locator('#imp-preview').click();
  await page.locator('#imp-preview-result[data-ok="true"]').waitFor();
  assert.equal(await page.locator('#imp-plan tbody tr').count(), 3);
  assert.deepEqual(await findUser('13700000031'), [], 'still nothing written');
  await page.locator('#imp-run').click();
  await page.locator('#imp-passwords').waitFor();
  const slips = await page.locator('#imp-passwords tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())));
  assert.equal(slips.length, 3);
  const [, name, phone, password] = slips[0];
  assert.equal(name, '陈明');
  const login = await api('POST', '/api/v1/auth/login', { body: { phone, password } });
  assert.equal(login.status, 200, 'the printed initial password signs in');
  assert.equal(login.body.must_change_password, true, 'and must be replaced at once');
  assert.equal((await findUser('13700000033')).length, 1);
  await page.close();
  rmSync(dir, { recursive: true, force: true });
});

test('an assignment is created, changed, ended early, and its history shown', async () => {
  const token = await accessToken(PHONE, PASSWORD);
  const page = await newPage('assignments', { allow: /status of 400/ });
  await logIn(page, '#/assignments');
  await page.locator('#admin-menu').waitFor();
  await page.locator('#as-table .as-name').first().waitFor();
  const dialog = page.locator('.el-dialog:visible');
  const date = async (id, value) => {
    const input = page.locator(`.el-dialog:visible input#${id}`);
    await input.fill(value);
    await input.press('Enter');
  };
  const rowOf = (dates) => page.locator('#as-table tbody tr', { hasText: dates });

  // Create: the physician by name, the site, 2027-01-01 to 2027-06-30.
  await page.locator('#as-create').click();
  await dialog.waitFor();
  await page.locator('input#as-f-physician').focus();
  await page.keyboard.type(CREDITED_NAME);
  await page.locator(`.el-select-dropdown__item:visible[data-physician-id="${CREDITED_ID}"]`).click();
  await page.locator('.el-select', { has: page.locator('#as-f-site') }).click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: SITE_NAME }).click();
  // The seeded programme, whose area holds the site (others exist by now: the programme
  // and import tests made their own).
  await page.locator('.el-select', { has: page.locator('#as-f-program') }).click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: /^漳平市医师下基层$/ }).click();
  await date('as-f-start', '2027-01-01');
  await date('as-f-end', '2027-06-30');
  await page.locator('#as-f-submit').click();
  await dialog.waitFor({ state: 'hidden' });
  const created = rowOf('2027-01-01 至 2027-06-30');
  await created.waitFor();
  assert.match(await created.textContent(), new RegExp(CREDITED_NAME));
  const id = await created.locator('.as-actions').getAttribute('data-id');

  // Change: the reason is required, and the server's refusal shows next to its field.
  await created.locator('.as-change').click();
  await dialog.waitFor();
  await date('as-f-effective', '2027-03-01');
  await page.locator('#as-f-wstart').fill('13:00');
  await page.locator('#as-f-submit').click();
  await dialog.locator('.el-form-item', { has: page.locator('#as-f-reason') }).locator('.el-form-item__error', { hasText: '必填' }).waitFor();
  await page.locator('#as-f-reason').fill('受援单位调整门诊时间');
  await date('as-f-end', '2026-12-01');
  await page.locator('#as-f-submit').click();
  await dialog.locator('.el-form-item', { has: page.locator('#as-f-end') }).locator('.el-form-item__error', { hasText: 'must not be before start_date' }).waitFor();
  await date('as-f-end', '2027-06-30');
  await page.locator('#as-f-submit').click();
  await dialog.waitFor({ state: 'hidden' });
  await rowOf('2027-01-01 至 2027-06-30').locator('.as-window', { hasText: '13:00-17:30' }).waitFor();

  // End early on 2027-04-30.
  await rowOf('2027-01-01 至 2027-06-30').locator('.as-end').click();
  await dialog.waitFor();
  await date('as-f-end', '2027-04-30');
  await page.locator('#as-f-reason').fill('病假，提前结束派驻');
  await page.locator('#as-f-submit').click();
  await dialog.waitFor({ state: 'hidden' });
  const ended = rowOf('2027-01-01 至 2027-04-30');
  await ended.waitFor();

  // The history, newest first, in the drawer.
  await ended.locator('.as-history').click();
  await page.locator('#as-history .as-version').nth(2).waitFor();
  const actions = await page.locator('#as-history .as-version').evaluateAll((els) => els.map((e) => e.dataset.action));
  assert.deepEqual(actions, ['end', 'change', 'create']);
  assert.match(await page.locator('#as-history .as-version[data-action="end"]').textContent(), /病假，提前结束派驻/);
  assert.match(await page.locator('#as-history .as-version[data-action="change"]').textContent(), /2027-03-01 至 2027-04-30.*13:00-17:30|13:00-17:30/s);
  await shot(page, '14-assignment-history.png');

  const history = (await api('GET', `/api/v1/assignments/${id}/history`, { token })).body;
  assert.deepEqual(history.versions.map((v) => v.action), ['create', 'change', 'end']);
  assert.equal(history.versions[1].reason, '受援单位调整门诊时间');

  // The personnel table downloads as an XLSX in the import's columns.
  await page.keyboard.press('Escape');
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator('#as-export').click()]);
  const rows = await sheetRows(file, 'personnel.xlsx');
  assert.equal(rows[0][0], '支援人员安排情况表');
  const header = rows.find((r) => r[0] === '序号');
  assert.deepEqual(header?.slice(0, 8), ['序号', '支援医院', '姓名', '性别', '专业', '职称', '电话', '受援单位']);
  assert.ok(rows.some((r) => r[2] === CREDITED_NAME && r[10] === '2027-04-30'), 'the ended assignment is in the table');
  await page.close();
});

// ---- hospital and clinic administrators (each sees what the API lets it use) ------

/**
 * An account created by the administrator and ready to sign in: when the server asks
 * for a new password first (an administrator typed the initial one), it is set once
 * through the API and set back, so the account signs in with `password` to the console.
 */
async function accountBy(adminToken, body) {
  const created = await api('POST', '/api/v1/users', { token: adminToken, body });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const login = await api('POST', '/api/v1/auth/login', { body: { phone: body.phone, password: body.password } });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  if (login.body.must_change_password) {
    for (const [current, next] of [[body.password, `${body.password}-own`], [`${body.password}-own`, body.password]]) {
      const token = await accessToken(body.phone, current);
      const changed = await api('POST', '/api/v1/auth/password', { token, body: { current_password: current, new_password: next } });
      assert.equal(changed.status, 204, JSON.stringify(changed.body));
    }
  }
  return created.body;
}

const menuPaths = (page) => page.locator('#side-menu .el-menu-item').evaluateAll((items) => items.map((i) => i.dataset.path));

test('a hospital administrator signs in, sees only its menu, and previews and imports its personnel table', async () => {
  const adminToken = await accessToken(ADMIN_PHONE, ADMIN_PASSWORD);
  const orgs = (await api('GET', '/api/v1/organizations?limit=500', { token: adminToken })).body.items;
  const hospital = orgs.find((o) => o.name === '漳平市医院');
  const phone = '13700000041';
  await accountBy(adminToken, { role: 'hospital_admin', name: '周院办', phone, password: PASSWORD_OF_NEW_USERS, organization_id: hospital.id });

  const page = await newPage('hospital-admin');
  await logInAs(page, phone, PASSWORD_OF_NEW_USERS);
  await page.locator('#who-role', { hasText: '医院管理员' }).waitFor();
  assert.deepEqual(await menuPaths(page), ['/reports', '/complaints', '/promotion-notice', '/admin/people', '/admin/import', '/device-moves']);
  // It lands on its staff, not on the bureau's dashboard.
  await page.locator('#people-table').waitFor();
  assert.match(page.url(), /#\/admin\/people$/);
  // A view the API refuses it reads as a plain message, never a 403.
  await page.goto(`${BASE}/console/#/anomalies`);
  await page.locator('#not-allowed').waitFor();
  await page.goto(`${BASE}/console/#/admin/audit`);
  await page.locator('#not-allowed').waitFor();
  // The monthly workload report, scoped by the API to its own staff.
  await page.goto(`${BASE}/console/#/reports`);
  await page.locator('#r-load').click();
  await page.locator('#report-table').waitFor();
  assert.equal(await page.locator('#report-error').count(), 0);

  const dir = mkdtempSync(join(tmpdir(), 'xiaxiang-hospital-import-'));
  const file = join(dir, '附件1.csv');
  const table = (rows) => '\ufeff漳平市医院下派乡镇卫生院名单,,,,,,\n牵头医院名称,姓名,性别,专业,职称,电话,拟下派乡镇卫生院\n' + rows.map((r) => r.join(',')).join('\n') + '\n';
  writeFileSync(file, table([
    ['漳平市医院', '郭伟', '男', '内科', '主治医师', '13700000051', SITE_NAME],
    ['', '何静', '女', '妇科', '住院医师', '13700000052', SITE_NAME],
  ]));
  await page.goto(`${BASE}/console/#/admin/import`);
  await choose(page, 'imp-program', '漳平市医师下基层');
  const [from, to] = [page.locator('#import-form .el-range-input').nth(0), page.locator('#import-form .el-range-input').nth(1)];
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  await from.fill(today);
  await to.fill(`${Number(today.slice(0, 4)) + 1}${today.slice(4)}`);
  await to.press('Enter');
  await page.locator('#imp-file').setInputFiles(file);
  await page.locator('#imp-preview').click();
  await page.locator('#imp-preview-result[data-ok="true"]').waitFor();
  assert.equal(await page.locator('#imp-plan tbody tr').count(), 2);
  await page.locator('#imp-run').click();
  await page.locator('#imp-passwords').waitFor();
  assert.equal(await page.locator('#imp-passwords tbody tr').count(), 2);
  const mine = (await api('GET', '/api/v1/users?q=13700000051', { token: adminToken })).body.items;
  assert.equal(mine.length, 1);
  assert.equal(mine[0].organization_id, hospital.id, 'imported into its own hospital');

  // Its staff list: the new physicians, with the actions the API allows on them.
  await page.goto(`${BASE}/console/#/admin/people`);
  const row = page.locator('#people-table tbody tr', { hasText: '13700000051' });
  await row.waitFor();
  await row.locator('.p-edit').waitFor();

  // 更换手机审批: a physician of the hospital asks to move to a new phone, twice (two
  // physicians); the administrator approves one with a note and rejects the other.
  await page.goto(`${BASE}/console/#/device-moves`);
  await page.locator('#device-moves .el-table__empty-text', { hasText: '没有待审批的申请' }).waitFor();
  const asked = [];
  for (const [i, phoneNo] of ['13700000061', '13700000062'].entries()) {
    await accountBy(adminToken, { role: 'physician', name: `换机医师${i + 1}`, phone: phoneNo, password: PASSWORD_OF_NEW_USERS, organization_id: hospital.id });
    const token = await accessToken(phoneNo, PASSWORD_OF_NEW_USERS);
    const req = await api('POST', '/api/v1/me/device-move-requests', { token, body: { device_id: `new-phone-${i}`, note: '旧手机丢失' } });
    assert.equal(req.status, 201, JSON.stringify(req.body));
    asked.push({ id: req.body.id, token });
  }
  await page.locator('#device-moves .el-radio-button', { hasText: '全部' }).click();
  await page.locator('#device-moves .el-radio-button', { hasText: '待审批' }).click();
  const approveRow = page.locator(`#device-moves .decide[data-id="${asked[0].id}"]`);
  await approveRow.waitFor();
  await approveRow.locator('input').fill('已核实新手机');
  await approveRow.locator('[data-action="approve"]').click();
  await page.locator(`#device-moves .decide[data-id="${asked[0].id}"]`).waitFor({ state: 'detached' });
  await page.locator(`#device-moves .decide[data-id="${asked[1].id}"] [data-action="reject"]`).click();
  await page.locator('#device-moves .el-table__empty-text', { hasText: '没有待审批的申请' }).waitFor();
  await page.locator('#device-moves .el-radio-button', { hasText: '全部' }).click();
  await page.locator('#device-moves [data-status="approved"]').waitFor();
  await page.locator('#device-moves [data-status="rejected"]').waitFor();
  const moved = (await api('GET', '/api/v1/me/device-move-requests', { token: asked[0].token })).body.items;
  assert.equal(moved[0].status, 'approved');
  assert.equal(moved[0].decision_note, '已核实新手机');
  assert.equal(moved[0].current_device_id, 'new-phone-0', 'the approval bound the new phone');
  await page.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a clinic administrator signs in, enrols a wall screen, downloads daily codes, and administers no other site', async () => {
  const adminToken = await accessToken(ADMIN_PHONE, ADMIN_PASSWORD);
  const phone = '13700000042';
  await accountBy(adminToken, { role: 'clinic_admin', name: '林站长', phone, password: PASSWORD_OF_NEW_USERS, organization_id: SITE_ID });

  // The service detail names an anomaly's reviewer through the people directory, which
  // answers 404 for a supervisor outside the clinic's reach (the name then reads '—').
  // 上报本月 provokes a 400 (an incomplete narrative) on purpose.
  const page = await newPage('clinic-admin', { allow: /status of (400|404) / });
  await logInAs(page, phone, PASSWORD_OF_NEW_USERS);
  await page.locator('#who-role', { hasText: '基层单位管理员' }).waitFor();
  assert.deepEqual(await menuPaths(page), ['/clinic/today', '/clinic/confirm', '/clinic/report', '/complaints', '/surveys', '/admin/sites']);
  // It lands on today's services at its site.
  await page.locator('#clinic-visits-view[data-mode="today"]').waitFor();
  await page.goto(`${BASE}/console/#/admin/sites`);
  await page.locator('#sites-table').waitFor();
  // Only its own site, and no button to create areas or sites.
  assert.deepEqual(await page.locator('#sites-table .site-link').allTextContents(), [SITE_NAME]);
  assert.equal(await page.locator('#new-site').count(), 0);
  assert.equal(await page.locator('#new-jurisdiction').count(), 0);
  await page.goto(`${BASE}/console/#/admin/people`);
  await page.locator('#not-allowed').waitFor();

  await page.goto(`${BASE}/console/#/admin/sites/${SITE_ID}`);
  await page.locator('#site-readonly').waitFor();
  assert.equal(await page.locator('#s-save').count(), 0, 'the site itself is read-only');
  await page.locator('#kiosks-table').waitFor();
  await page.locator('#k-label').fill('二楼走廊');
  await page.locator('#k-enrol').click();
  const link = await page.locator('#k-link').inputValue();
  const token = decodeURIComponent(link.split('#token=')[1]);
  const code = await api('GET', '/api/v1/kiosk/code', { token });
  assert.equal(code.status, 200, 'the enrolled screen gets codes');
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator('#k-print').click()]);
  const saved = join(downloads, 'clinic-daily-codes.html');
  await file.saveAs(saved);
  const html = readFileSync(saved, 'utf8');
  assert.ok(html.includes(SITE_NAME), 'the sheet names the site');
  assert.equal((html.match(/<section class="card">/g) ?? []).length, 7, 'a card a day for a week');

  // 今日在岗: today's services at its site, the seeded physician among them.
  await page.goto(`${BASE}/console/#/clinic/today`);
  const table = page.locator('#clinic-visits-table');
  await table.locator('tbody tr', { hasText: PHYSICIAN_NAME }).first().waitFor();
  const mine = (await api('GET', `/api/v1/visits?site_id=${SITE_ID}`, { token: adminToken })).body.items;
  const todays = await table.locator('tbody tr').count();
  assert.ok(todays >= 1 && todays <= mine.length, `${todays} of ${mine.length}`);

  // 本单位考勤确认: a dispute needs its reason (said next to the field), a confirmation
  // is recorded once and shown on the row and in the service's detail.
  await page.goto(`${BASE}/console/#/clinic/confirm`);
  const clinicRow = page.locator("#clinic-visits-table tbody tr", { hasText: PHYSICIAN_NAME }).first();
  await clinicRow.locator(".cv-dispute").click();
  await page.locator('#cv-submit').click();
  await page.locator('.el-form-item__error', { hasText: '有异议时请填写原因' }).waitFor();
  await page.locator('#cv-verdict').getByText('确认在岗').click();
  await page.locator('#cv-reason').fill('全天在岗');
  const visitId = await clinicRow.locator(".cv-confirm").getAttribute('data-id');
  await page.locator('#cv-submit').click();
  await page.locator(`#clinic-visits-table .cv-confirmation[data-verdict="confirmed"]`).first().waitFor();
  const stored = (await api('GET', `/api/v1/visits/${visitId}`, { token: adminToken })).body;
  assert.equal(stored.visit.clinic_confirmation.verdict, 'confirmed');
  assert.equal(stored.visit.clinic_confirmation.reason, '全天在岗');
  await page.locator(`#clinic-visits-table .open-visit[data-id="${visitId}"]`).click();
  await page.locator('#visit-clinic-confirmation[data-verdict="confirmed"]', { hasText: '受援单位已确认' }).waitFor();
  await page.keyboard.press('Escape');

  // 本单位月报: the site's own monthly report, the site as 填报单位.
  await page.goto(`${BASE}/console/#/clinic/report`);
  await page.locator('#cr-header', { hasText: SITE_NAME }).waitFor();
  await page.locator('#cr-table').waitFor();

  // 上报本月: an incomplete narrative is refused with the server's word; filled in, the
  // month is filed for the site, the county returns it, and the clinic reads why.
  await page.locator('#cr-filing').waitFor();
  await page.locator('#cr-file').click();
  await page.locator('#cr-filing-error').waitFor();
  await page.locator('#cr-achievements').fill('派驻医师按时到岗。');
  await page.locator('#cr-problems').fill('无');
  await page.locator('#cr-next-steps').fill('继续带教。');
  await page.locator('#cr-file').click();
  await page.locator('#cr-filing-status [data-status="submitted"]').waitFor();
  const filed = (await api('GET', '/api/v1/filings', { token: adminToken })).body;
  const clinicToken = await accessToken(phone, PASSWORD_OF_NEW_USERS);
  const ours = (await api('GET', '/api/v1/filings', { token: clinicToken })).body;
  assert.equal(ours.length, 1, 'the clinic sees its own filing only');
  assert.equal(ours[0].site_id, SITE_ID);
  assert.equal(ours[0].status, 'submitted');
  const seen = filed.find((f) => f.id === ours[0].id);
  assert.equal(seen?.site_name, SITE_NAME, 'the admin sees the site filing with the site name');
  const returned = await api('POST', `/api/v1/filings/${ours[0].id}/return`, { token: adminToken, body: { note: '请补充带教人次' } });
  assert.equal(returned.status, 200);
  await page.locator('#cr-apply').click();
  await page.locator('#cr-filing-status [data-status="returned"]').waitFor();
  await page.locator('#cr-filing-returned', { hasText: '请补充带教人次' }).waitFor();
  await page.close();
});

test('申诉处理: a physician\'s appeal is decided with a note the physician reads, and the service\'s evidence pack prints', async () => {
  const supervisor = await accessToken(PHONE, PASSWORD);
  const physician = await accessToken(CREDITED_PHONE, PASSWORD);
  const visits = (await api('GET', `/api/v1/visits?physician_id=${CREDITED_ID}`, { token: supervisor })).body.items;
  assert.ok(visits.length >= 1, 'the credited physician has a service');
  const visit = visits[visits.length - 1];
  const filed = await api('POST', `/api/v1/me/visits/${visit.id}/appeals`, { token: physician, body: { note: '当日已在岗，系统未记录签退' } });
  assert.equal(filed.status, 201);

  // As for the clinic: a reviewer outside the supervisor's reach (the admin) reads '—'.
  const page = await newPage('appeals', { allow: /status of 404 / });
  await logIn(page, '#/appeals');
  const row = page.locator('#appeals-table tbody tr', { hasText: '当日已在岗' });
  await row.waitFor();
  await row.locator('.open-appeal').click();
  await page.locator('#appeal-form').waitFor();
  await page.locator('#ap-submit').click();
  await page.locator('.el-form-item__error', { hasText: '请填写处理意见' }).waitFor();
  await page.locator('#ap-decision').getByText('驳回').click();
  await page.locator('#ap-note').fill('签退时间与核查记录不符');
  await page.locator('#ap-submit').click();
  await page.locator('#appeal-decided', { hasText: '已驳回' }).waitFor();
  const mine = (await api('GET', `/api/v1/me/visits/${visit.id}/appeals`, { token: physician })).body.items;
  assert.equal(mine[0].status, 'rejected');
  assert.equal(mine[0].decision_note, '签退时间与核查记录不符');

  // The evidence pack of the appealed service, from its detail: one printable page.
  await page.locator('#visit-detail #evidence-html').waitFor();
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator('#evidence-html').click()]);
  const saved = join(downloads, 'evidence.html');
  await file.saveAs(saved);
  const html = readFileSync(saved, 'utf8');
  assert.ok(html.includes('下基层服务证据包'));
  assert.ok(html.includes(CREDITED_NAME), 'the pack names the physician');
  assert.ok(html.includes('签退时间与核查记录不符'), 'the pack has the decision');
  await page.close();
});

test('资格例外: a nurse refused for 中级以上 physicians is sent by the admin with a written reason, a supervisor sees the refusal only; the programme\'s rules are shown and edited', async () => {
  const adminToken = await accessToken(ADMIN_PHONE, ADMIN_PASSWORD);
  const name = '中级以上医师专项（资格审核）';
  const program = await api('POST', '/api/v1/programs', {
    token: adminToken,
    body: { name, jurisdiction_code: '350881', requirements: [{ period: 'month', min_days: 1 }], eligibility: { min_rank: 'intermediate', professions: ['physician'] } },
  });
  assert.equal(program.status, 201, JSON.stringify(program.body));
  const hospital = (await api('GET', '/api/v1/organizations?limit=500', { token: adminToken })).body.items.find((o) => o.kind === 'hospital');
  const nurse = await accountBy(adminToken, { role: 'physician', name: '郑小护', phone: '13700001901', password: PASSWORD_OF_NEW_USERS, organization_id: hospital.id, title: '护士' });

  const fillCreate = async (page) => {
    const dialog = page.locator('.el-dialog:visible');
    await page.locator('#as-create').click();
    await dialog.waitFor();
    await page.locator('input#as-f-physician').focus();
    await page.keyboard.type('郑小护');
    await page.locator(`.el-select-dropdown__item:visible[data-physician-id="${nurse.id}"]`).click();
    await page.locator('.el-select', { has: page.locator('#as-f-site') }).click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: SITE_NAME }).click();
    await page.locator('.el-select', { has: page.locator('#as-f-program') }).click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: name }).click();
    for (const [id, value] of [['as-f-start', '2027-07-01'], ['as-f-end', '2027-09-30']]) {
      const input = page.locator(`.el-dialog:visible input#${id}`);
      await input.fill(value);
      await input.press('Enter');
    }
    await page.locator('#as-f-submit').click();
    await page.locator('#as-f-elig .as-elig-rule[data-rule="min_rank"]').waitFor();
    return dialog;
  };

  // A supervisor is told why, and that only an administrator may make an exception.
  const supervisor = await newPage('eligibility-supervisor', { allow: /status of 422/ });
  await logIn(supervisor, '#/assignments');
  await supervisor.locator('#as-table').waitFor();
  await fillCreate(supervisor);
  assert.match(await supervisor.locator('#as-f-elig .as-elig-rule[data-rule="min_rank"]').textContent(), /中级及以上/);
  await supervisor.locator('#as-f-elig-admin-only').waitFor();
  assert.equal(await supervisor.locator('#as-f-override').count(), 0, 'no override field for a supervisor');
  assert.equal(await supervisor.locator('#as-f-override-submit').count(), 0);
  await supervisor.close();

  // The administrator sees the rules the server named, must give a reason, and sends.
  const page = await newPage('eligibility-admin', { allow: /status of 422/ });
  await logInAs(page, ADMIN_PHONE, ADMIN_PASSWORD, '#/assignments');
  await page.locator('#as-table').waitFor();
  const dialog = await fillCreate(page);
  const rules = await page.locator('#as-f-elig .as-elig-rule').evaluateAll((items) => items.map((i) => i.dataset.rule));
  assert.deepEqual(rules, ['min_rank', 'profession']);
  await page.locator('#as-f-override-submit').click();
  await dialog.locator('.el-form-item', { has: page.locator('#as-f-override') }).locator('.el-form-item__error', { hasText: '请填写资格例外的理由' }).waitFor();
  const reason = '该院急需护理骨干，经局务会研究同意破格派出';
  await page.locator('#as-f-override').fill(reason);
  await shot(page, 'eligibility-override.png');
  await page.locator('#as-f-override-submit').click();
  await dialog.waitFor({ state: 'hidden' });
  const listed = await api('GET', `/api/v1/assignments?physician_id=${nurse.id}&limit=500`, { token: adminToken });
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  assert.equal(listed.body.items.length, 1);
  const created = await api('GET', `/api/v1/assignments/${listed.body.items[0].assignment.id}`, { token: adminToken });
  assert.equal(created.body.eligibility_override.reason, reason);
  assert.deepEqual(created.body.eligibility_override.rules.map((r) => r.rule), ['min_rank', 'profession']);

  // The programme page states the rules in words; the administrator raises them to 副高.
  await page.goto(`${BASE}/console/#/admin/programs`);
  const row = page.locator('#programs-table tbody tr', { hasText: name });
  await row.locator('.prog-elig li', { hasText: '中级及以上' }).waitFor();
  await row.locator('.prog-elig-edit').click();
  await page.locator('#elig-form').waitFor();
  await choose(page, 'elig-rank', '副高及以上');
  await page.locator('#elig-save').click();
  await row.locator('.prog-elig li', { hasText: '副高及以上' }).waitFor();
  const read = await api('GET', `/api/v1/programs/${program.body.id}`, { token: adminToken });
  assert.equal(read.body.eligibility.min_rank, 'associate_senior');
  assert.deepEqual(read.body.eligibility.professions, ['physician'], 'the series kept');
  await page.close();
});

test('资格例外 on an import: a preview refused only on the team rules is imported by the admin with a written reason', async () => {
  const adminToken = await accessToken(ADMIN_PHONE, ADMIN_PASSWORD);
  const name = '帮扶团队不少于三人（导入）';
  const program = await api('POST', '/api/v1/programs', {
    token: adminToken,
    body: { name, jurisdiction_code: '350881', requirements: [{ period: 'month', min_days: 1 }], eligibility: { team: { min_members: 3 } } },
  });
  assert.equal(program.status, 201, JSON.stringify(program.body));
  const dir = mkdtempSync(join(tmpdir(), 'xiaxiang-import-'));
  const file = join(dir, '附件1-团队.csv');
  writeFileSync(file, '\ufeff牵头医院名称,姓名,性别,专业,职称,电话,拟下派乡镇卫生院\n'
    + `漳平市医院,黄一帆,男,内科,主治医师,13700001911,${SITE_NAME}\n漳平市医院,蔡二妹,女,护理,主管护师,13700001912,${SITE_NAME}\n`);
  const page = await newPage('admin-import-override');
  await logInAs(page, ADMIN_PHONE, ADMIN_PASSWORD, '#/admin/import');
  await choose(page, 'imp-program', name);
  const [from, to] = [page.locator('#import-form .el-range-input').nth(0), page.locator('#import-form .el-range-input').nth(1)];
  await from.fill('2027-01-01');
  await to.fill('2027-12-31');
  await to.press('Enter');
  await page.locator('#imp-file').setInputFiles(file);
  await page.locator('#imp-preview').click();
  await page.locator('#imp-preview-result[data-ok="false"]').waitFor();
  assert.match(await page.locator('#imp-errors').textContent(), /派出资格/);
  await page.locator('#imp-run-override').click();
  await page.locator('#imp-elig .el-form-item__error', { hasText: '请填写资格例外的理由' }).waitFor();
  const reason = '第三名成员下月到岗';
  await page.locator('#imp-override').fill(reason);
  await page.locator('#imp-run-override').click();
  await page.locator('#imp-result').waitFor();
  const created = await api('GET', `/api/v1/assignments?program_id=${program.body.id}&limit=500`, { token: adminToken });
  assert.equal(created.body.items.length, 2, JSON.stringify(created.body));
  const one = await api('GET', `/api/v1/assignments/${created.body.items[0].assignment.id}`, { token: adminToken });
  assert.equal(one.body.eligibility_override.reason, reason);
  await page.close();
  rmSync(dir, { recursive: true, force: true });
});

test('督查计划: a quarter\'s plan draws sites from a seed shown after the draw, the same seed draws them again, and a site opens the inspection form', async () => {
  const token = await accessToken(PHONE, PASSWORD);
  const page = await newPage('inspection-plans');
  await logIn(page, '#/inspection-plans');
  await page.locator('#ip-periods').waitFor();
  const year = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date());
  const draw = async (seed) => {
    await page.locator('#ip-new').click();
    await page.locator('#ip-form').waitFor();
    await choose(page, 'ip-f-jurisdiction', '漳平市');
    await page.locator('#ip-f-sites').fill('2');
    await page.locator('#ip-f-sites').press('Tab');
    if (seed) await page.locator('#ip-f-seed').fill(seed);
    const before = await page.locator('#ip-plan').getAttribute('data-id').catch(() => null);
    await page.locator('#ip-f-submit').click();
    await page.locator('#ip-form').waitFor({ state: 'hidden' });
    await page.waitForFunction((old) => {
      const el = document.querySelector('#ip-plan');
      return el && el.getAttribute('data-id') !== old;
    }, before);
    return {
      id: await page.locator('#ip-plan').getAttribute('data-id'),
      seed: (await page.locator('#ip-seed').textContent()).trim(),
      sites: await page.locator('#ip-sites .ip-site-name').allTextContents(),
    };
  };
  const first = await draw('');
  assert.match(first.seed, /^\d+$/, 'the seed is shown after the draw');
  assert.ok(first.sites.length >= 1 && first.sites.length <= 2, `${first.sites}`);
  assert.match(await page.locator('#ip-title').textContent(), new RegExp(`漳平市${year}年第.季度`));
  const listed = await api('GET', `/api/v1/inspection-plans?jurisdiction_code=350881&year=${year}`, { token });
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  const stored = listed.body.items.find((p) => p.id === first.id);
  assert.equal(stored.seed, first.seed);
  assert.deepEqual(stored.sites.map((s) => s.site_name), first.sites);
  await shot(page, 'inspection-plan.png');

  // The seed typed in draws the same sites in the same order (a check of the draw).
  const again = await draw(first.seed);
  assert.notEqual(again.id, first.id);
  assert.equal(again.seed, first.seed);
  assert.deepEqual(again.sites, first.sites);
  const quarter = stored.period;
  await page.locator(`#ip-periods .ip-period[data-period="${quarter}"][data-plans="2"]`).waitFor();
  assert.equal(await page.locator('#ip-table tbody tr').count() >= 2, true);

  // 登记督查 opens the inspection form with the site filled in.
  const site = stored.sites[0];
  await page.locator(`#ip-sites .ip-inspect[data-site-id="${site.site_id}"]`).click();
  await page.waitForURL(/#\/inspections\?site_id=/);
  await page.locator('.el-select', { has: page.locator('#i-site') }).filter({ hasText: site.site_name }).waitFor();
  await page.close();
});

test('晋升考核登记表 opens from the physician\'s page with the API\'s verdict, the bureau signs its opinion, and the page prints with seal lines', async () => {
  const token = await accessToken(PHONE, PASSWORD);
  const form = (await api('GET', `/api/v1/physicians/${CREDITED_ID}/promotion-form`, { token })).body;
  assert.ok(form.verdict && form.cumulative_credited_days > 0, JSON.stringify(form));
  const page = await newPage('promotion-form');
  await logIn(page, `#/admin/people/${CREDITED_ID}`);
  await page.locator('#ph-name', { hasText: CREDITED_NAME }).waitFor();
  await page.locator('#promotion-form-open').click();
  const verdict = page.locator('#pf-verdict');
  await verdict.waitFor();
  assert.equal(await verdict.getAttribute('data-status'), form.verdict.status);
  assert.equal((await verdict.textContent()).trim(), form.verdict.status_zh);
  assert.equal((await page.locator('#pf-days').textContent()).trim(), String(form.cumulative_credited_days));
  await page.locator('#pf-reasons li', { hasText: '累计服务折合' }).waitFor();
  // An empty opinion is refused beside the field; a written one is saved and listed.
  await page.locator('#pf-opinion').fill('');
  await page.locator('#pf-sign').click();
  await page.locator('#opinion-form .el-form-item__error', { hasText: '请填写意见' }).waitFor();
  await page.locator('#pf-opinion').fill('经审核，情况属实');
  await page.locator('#pf-sign').click();
  await page.locator('.pf-opinion[data-signer="bureau"]', { hasText: '经审核，情况属实' }).waitFor();
  const stored = (await api('GET', `/api/v1/physicians/${CREDITED_ID}/promotion-form`, { token })).body;
  assert.equal(stored.opinions.find((o) => o.signer === 'bureau')?.opinion, '经审核，情况属实');
  // The printable page downloads with the opinion and the seal lines.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#pf-html').click()]);
  const file = join(downloads, 'promotion-form.html');
  await download.saveAs(file);
  const html = readFileSync(file, 'utf8');
  assert.match(html, /对口支援工作医师考核登记表/);
  assert.equal(html.match(/（盖章）/g)?.length, 3);
  assert.match(html, /经审核，情况属实/);
  await shot(page, 'promotion-form.png');
  await page.close();
});

test('投诉管理: a supervisor records a complaint and closes it as substantiated', async () => {
  const page = await newPage('complaints');
  await logIn(page, '#/complaints');
  await page.locator('#complaints-table').waitFor();
  await page.locator('#cp-new').click();
  // Nothing chosen: each missing field says so beside it.
  await page.locator('#cp-submit').click();
  await page.locator('#complaint-form .el-form-item__error', { hasText: '请选择被投诉医师' }).waitFor();
  await page.locator('#cp-physician').click();
  await page.keyboard.type(CREDITED_NAME.slice(1));
  await page.locator('.el-select-dropdown__item:visible', { hasText: CREDITED_NAME }).first().click();
  await page.locator('#cp-site').click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: SITE_NAME }).first().click();
  await page.locator('#cp-content').fill('候诊时间过长，态度生硬');
  await page.locator('#cp-submit').click();
  const row = page.locator('#complaints-table tbody tr', { hasText: '候诊时间过长' });
  await row.waitFor();
  await row.locator('.open-complaint').click();
  await page.locator('#handling-form').waitFor();
  await page.locator('#cp-substantiated label', { hasText: '属实' }).first().click();
  await page.locator('#cp-handling-note').fill('已约谈医师');
  await page.locator('#cp-handle-submit').click();
  await page.locator('#complaint-handled', { hasText: '已办结' }).waitFor();
  await page.close();
});

test('满意度测评: a round is created, a person registered beside its field checks and masked, the sample drawn with its seed, and a call recorded from the audited call sheet', async () => {
  const supervisor = await accessToken(PHONE, PASSWORD);
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  const page = await newPage('surveys', { allow: /status of 400 / });
  await logIn(page, '#/surveys');
  await page.locator('#sv-table').waitFor();
  await page.locator('#sv-code').fill('350881');
  await choose(page, 'sv-kind', '按月 YYYY-MM');
  await page.locator('#sv-period').fill(thisMonth());
  await page.locator('#sv-create-submit').click();
  await page.locator('#svd-title', { hasText: thisMonth() }).waitFor();
  await page.locator('#svd-status', { hasText: '登记中' }).waitFor();
  const roundId = page.url().split('/surveys/')[1];

  // A bad number is refused beside its field; a good one is stored masked.
  await page.locator('#svd-name').fill('陈秀英');
  await page.locator('#svd-phone').fill('12345');
  await page.locator('#svd-date').fill(today);
  await page.locator('#svd-date').press('Enter');
  await choose(page, 'svd-site', SITE_NAME);
  await page.locator('.el-select', { has: page.locator('#svd-physician') }).click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: PHYSICIAN_NAME }).first().click();
  await page.locator('#svd-register-submit').click();
  await page.locator('.el-form-item__error', { hasText: 'people[0].phone' }).waitFor();
  await page.locator('#svd-phone').fill('13700000051');
  await page.locator('#svd-register-submit').click();
  const row = page.locator('#svd-people tbody tr', { hasText: '137****0051' });
  await row.waitFor();
  assert.ok((await row.textContent()).includes('陈**'));
  assert.ok(!(await page.locator('#survey-view').textContent()).includes('13700000051'), 'masked in the list');

  // The draw shows its seed; the API repeats it from that seed.
  await page.locator('.el-tabs__item', { hasText: '抽样' }).click();
  await page.locator('#svd-draw').click();
  await page.locator('#svd-draw-message', { hasText: '种子' }).waitFor();
  const seed = (await page.locator('#svd-seed').textContent()).trim();
  const again = await api('POST', `/api/v1/survey-rounds/${roundId}/draw?seed=${seed}`, { token: supervisor, body: {} });
  assert.equal(again.status, 200);
  assert.equal(again.body.matches_recorded, true);

  // The call sheet reveals the number after a warning, and records a call.
  await page.locator('.el-tabs__item', { hasText: '电话回访' }).click();
  await page.locator('#svd-open-calls').click();
  await confirmBox(page);
  const call = page.locator('#svd-calls tbody tr', { hasText: '13700000051' });
  await call.waitFor();
  await call.locator('.svd-outcome .el-radio-button', { hasText: '基本满意' }).click();
  await call.locator('.svd-save').click();
  await call.locator('.svd-latest', { hasText: '基本满意' }).waitFor();
  assert.equal((await call.locator('.svd-attempts').textContent()).trim(), '1');
  const report = (await api('GET', `/api/v1/survey-rounds/${roundId}/report`, { token: supervisor })).body;
  assert.equal(report.total.basic, 1);
  assert.equal(report.total.rate_percent, 100);
  const audit = (await api('GET', '/api/v1/audit?limit=200', { token: await accessToken(ADMIN_PHONE, ADMIN_PASSWORD) })).body.items;
  assert.ok(audit.some((e) => e.action === 'survey.reveal' && e.object_id === roundId), 'the reveal is audited');

  // The report tab shows the 合计.
  await page.locator('.el-tabs__item', { hasText: '测评结果' }).click();
  await page.locator('#svd-total', { hasText: '满意率 100.0%' }).waitFor();
  await shot(page, 'console-survey.png');
  await page.close();
});

// A 1x1 PNG: what a phone's camera frame is to the server (a real image by its bytes).
const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

test('照片抽查: a scan photo is sampled, shown from a blob URL, marked suspicious with a note; the visits list marks offline uploads', async () => {
  const supervisor = await accessToken(PHONE, PASSWORD);
  const physician = await accessToken(CREDITED_PHONE, PASSWORD);
  // The credited physician (checked in today by run.sh) checks out now; the check-out's photo follows.
  const code = await api('GET', '/api/v1/kiosk/code', { token: env('BROWSER_KIOSK_TOKEN') });
  const out = await api('POST', '/api/v1/attendance/check-out', {
    token: physician,
    body: {
      client_event_id: crypto.randomUUID(), qr_payload: code.body.payload, device_id: 'zhou-phone-01',
      location: { lat: 25.29110, lon: 117.41210, accuracy_m: 10, crs: 'wgs84', is_mock: false },
    },
  });
  assert.equal(out.status, 201, JSON.stringify(out.body));
  const event = out.body.event_id;
  const today = { id: out.body.visit_id, local_date: new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()) };
  const put = await fetch(`${BASE}/api/v1/attendance/events/${event}/photo`, {
    method: 'PUT', headers: { Authorization: `Bearer ${physician}`, 'Content-Type': 'image/png' }, body: TINY_PNG,
  });
  assert.equal(put.status, 201, await put.text());
  const county = (await api('GET', `/api/v1/organizations/${SITE_ID}`, { token: supervisor })).body.jurisdiction_code;
  const month = today.local_date.slice(0, 7);

  const page = await newPage('photo-review');
  await logIn(page, '#/photo-review');
  await page.locator('#photo-review').waitFor();
  await choose(page, 'pr-jurisdiction', '漳平市');
  await page.locator('#pr-month').fill(month);
  await page.locator('#pr-n').fill('10');
  await page.locator('#pr-n').press('Tab');
  await page.locator('button[data-action="draw"]').click();
  const card = page.locator(`.card[data-photo="${event}"]`);
  await card.waitFor();
  assert.ok((await card.textContent()).includes(CREDITED_NAME), 'the card names the physician');
  assert.ok((await card.textContent()).includes(SITE_NAME), 'and the site');
  // The thumbnail is the photo fetched with the token, as a blob: URL.
  await card.locator('img').waitFor();
  assert.match(await card.locator('img').getAttribute('src'), /^blob:/);
  const seed = (await page.locator('[data-test="seed"]').textContent()).trim();
  assert.match(seed, /^\d+$/);
  const again = await api('POST', '/api/v1/scan-photo-samples', { token: supervisor, body: { jurisdiction_code: county, month, n: 10, seed } });
  assert.ok(again.body.items.some((i) => i.photo_id === event), 'the same seed draws it again');

  // 存疑 without a note is refused beside the card; with one it raises the anomaly.
  await card.locator('button[data-action="suspicious"]').click();
  await card.locator('.field-error', { hasText: '请写明存疑之处' }).waitFor();
  await card.locator('input').fill('照片为翻拍的屏幕');
  await card.locator('button[data-action="suspicious"]').click();
  await card.locator('.verdict[data-verdict="suspicious"]').waitFor();
  const raised = (await api('GET', `/api/v1/anomalies?kind=photo_suspicious&physician_id=${CREDITED_ID}`, { token: supervisor })).body.items;
  assert.equal(raised.length, 1);
  assert.equal(raised[0].visit_id, today.id);
  const audit = await api('GET', `/api/v1/audit?object_type=scan_photo_review`, { token: await accessToken(ADMIN_PHONE, ADMIN_PASSWORD) });
  assert.ok(audit.body.items.some((e) => e.action === 'scan_photo_review.create'), 'the review is audited');

  // The visits list marks how the scans came in (yesterday's seeded scan was an offline upload).
  await page.goto(`${BASE}/console/#/visits`);
  await page.locator('.v-offline').first().waitFor();
  await page.close();
});

test('the programme\'s scan photo setting is saved, and a kiosk is pinned to its network and unpinned', async () => {
  const adminToken = await accessToken(ADMIN_PHONE, ADMIN_PASSWORD);
  const page = await newPage('scan-photo-setting');
  await logInAs(page, ADMIN_PHONE, ADMIN_PASSWORD, '#/admin/programs');
  const row = page.locator('#programs-table tbody tr').first();
  await row.waitFor();
  const name = (await row.locator('td').first().textContent()).trim();
  await row.locator('.prog-edit').click();
  await page.locator('#min-scan-photo').getByText('必须拍照').click();
  await page.locator('#min-save').click();
  await row.locator('.prog-scan-photo[data-value="required"]').waitFor();
  const stored = (await api('GET', '/api/v1/programs?limit=500', { token: adminToken })).body.items.find((p) => p.name === name);
  assert.equal(stored.scan_photo, 'required');
  await api('PATCH', `/api/v1/programs/${stored.id}`, { token: adminToken, body: { scan_photo: 'off' } });

  // 固定网络: the seeded kiosk has fetched its code from this machine's network.
  await page.goto(`${BASE}/console/#/admin/sites/${SITE_ID}`);
  const pinNow = page.locator('.k-pin .k-pin-now:not(.is-disabled)').first();
  await pinNow.waitFor();
  const kioskId = await pinNow.locator('xpath=ancestor::div[contains(@class,"k-pin")]').getAttribute('data-kiosk');
  await pinNow.click();
  const cell = page.locator(`.k-pin[data-kiosk="${kioskId}"]`);
  await cell.locator('.k-pinned').waitFor();
  const kiosks = (await api('GET', `/api/v1/organizations/${SITE_ID}/kiosks`, { token: adminToken })).body.items;
  const pinned = kiosks.find((k) => k.kiosk_id === kioskId);
  assert.ok(pinned.pinned_network, 'the kiosk is pinned');
  assert.equal((await cell.locator('.k-pinned').textContent()).trim(), pinned.pinned_network);
  await cell.locator('.k-unpin').click();
  await cell.locator('.k-pin-now').waitFor();
  const after = (await api('GET', `/api/v1/organizations/${SITE_ID}/kiosks`, { token: adminToken })).body.items.find((k) => k.kiosk_id === kioskId);
  assert.equal(after.pinned_network ?? null, null);

  // The site form's daily-code policy is saved.
  await page.locator('#s-daily-code-policy').getByText('拒绝').click();
  await page.locator('#s-save').click();
  await page.waitForFunction(async ([base, id, token]) => {
    const r = await fetch(`${base}/api/v1/organizations/${id}`, { headers: { Authorization: `Bearer ${token}` } });
    return (await r.json()).daily_code_policy === 'refuse';
  }, [BASE, SITE_ID, adminToken]);
  await api('PATCH', `/api/v1/organizations/${SITE_ID}`, { token: adminToken, body: { daily_code_policy: 'flag' } });
  await page.close();
});

test('no console errors, CSP violations or uncaught exceptions', () => {
  assert.deepEqual(problems, []);
});
