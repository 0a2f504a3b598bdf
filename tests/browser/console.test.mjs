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
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { chromium } from 'playwright-core';
import { accessToken, api, env } from './lib.mjs';

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
      problems.push(`${label}: console: ${msg.text()}`);
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

test('the monthly report is shown and downloaded as an XLSX that parses', async () => {
  const page = await newPage('reports');
  await logIn(page, '#/reports');
  await page.locator('#r-load').click();
  await page.locator('#report-table').waitFor();
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
  await shot(page, '08-report.png');
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

test('no console errors, CSP violations or uncaught exceptions', () => {
  assert.deepEqual(problems, []);
});
