// The supervisor console in headless Chromium, against a real server seeded by run.sh:
// log in, find the seeded mock-location anomaly, read it with its distance diagram,
// dismiss it, see a second review refused, see the offline banner, and record an inspection.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through tests/browser/run.sh`);
  return value;
}

const BASE = env('CONSOLE_BASE_URL');
const PHONE = env('CONSOLE_PHONE');
const PASSWORD = env('CONSOLE_PASSWORD');
const SITE_ID = env('CONSOLE_SITE_ID');
const SITE_NAME = env('CONSOLE_SITE_NAME');
const PHYSICIAN_ID = env('CONSOLE_PHYSICIAN_ID');
const PHYSICIAN_NAME = env('CONSOLE_PHYSICIAN_NAME');
const ANOMALY_ID = env('CONSOLE_ANOMALY_ID');
const ARTIFACTS = process.env.CONSOLE_ARTIFACTS || join(process.cwd(), '..', '..', 'test-artifacts', 'browser');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

mkdirSync(ARTIFACTS, { recursive: true });

let context;
let profile;
/** Console errors and uncaught exceptions per page; a CSP violation shows up here. */
const problems = [];

before(async () => {
  // A fresh profile each run; Playwright passes it to Chromium as --user-data-dir.
  // Each page (tab) of the context keeps its own sessionStorage, so two pages are two
  // independent console sessions.
  profile = mkdtempSync(join(tmpdir(), 'xiaxiang-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1360, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function newPage(label) {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('console', (msg) => {
    // Chromium logs every non-2xx fetch; the tests provoke a 401 (wrong password, spoiled
    // token), a 409 (second review) and a fetch while offline on purpose. Anything else,
    // a CSP refusal included, is a failure.
    const expected = /^Failed to load resource: (the server responded with a status of (401|409) |net::ERR_INTERNET_DISCONNECTED)/;
    if (msg.type() === 'error' && !expected.test(msg.text())) {
      problems.push(`${label}: console: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`${label}: ${err.message}`));
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
}

async function logIn(page) {
  await page.goto(`${BASE}/console`);
  await page.locator('#login-phone').fill(PHONE);
  await page.locator('#login-password').fill(PASSWORD);
  await page.locator('#login-submit').click();
  await page.locator('#app-view').waitFor({ state: 'visible' });
}

const queueItem = (page, id) => page.locator(`#queue-list button.q-item[data-id="${id}"]`);

test('the page is served with a strict policy and escapes nothing into HTML', async () => {
  const res = await fetch(`${BASE}/console`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  const csp = res.headers.get('content-security-policy');
  assert.ok(csp, 'a Content-Security-Policy header');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /connect-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  const html = await res.text();
  assert.doesNotMatch(html, /innerHTML|<link|src=/);
});

test('a wrong password is refused on the login form', async () => {
  const page = await newPage('wrong-password');
  await page.goto(`${BASE}/console`);
  await page.locator('#login-phone').fill(PHONE);
  await page.locator('#login-password').fill('not-the-password');
  await page.locator('#login-submit').click();
  await assert.doesNotReject(page.locator('#login-error', { hasText: '手机号或密码错误' }).waitFor());
  assert.equal(await page.locator('#app-view').isVisible(), false);
  await page.close();
});

// The seeded world has only a mock-location anomaly. The other drawings (impossible
// travel, a shared code over a polygon fence, nothing to draw) are fed to the real page
// through intercepted responses of the two calls the detail pane makes.
test('the diagram draws travel, a shared code on a polygon fence, and no data', async () => {
  const page = await newPage('fixtures');
  await logIn(page);
  const lat = 25.291;
  const lon = 117.412;
  const d = 0.0015; // about 165 m of latitude
  const ids = { travel: 'a0000000-0000-4000-8000-000000000001', shared: 'a0000000-0000-4000-8000-000000000002', bare: 'a0000000-0000-4000-8000-000000000003' };
  const base = {
    severity: 'high', status: 'open', physician_id: PHYSICIAN_ID, site_id: SITE_ID, visit_id: null,
    event_ids: ['e0000000-0000-4000-8000-000000000001'], detected_at: new Date().toISOString(), review: null,
  };
  const items = [
    { ...base, id: ids.travel, kind: 'impossible_travel', detail: {
      label_zh: '移动速度异常', label_en: 'Impossible travel speed', summary: 'Impossible travel speed.', summary_zh: '移动速度异常。',
      distance_km: 38.2, minutes: 9, speed_kmh: 255, limit_kmh: 150, previous_event_id: 'e0000000-0000-4000-8000-000000000009' } },
    { ...base, id: ids.shared, kind: 'code_shared', severity: 'medium', detail: {
      label_zh: '签到码疑似共享', label_en: 'Kiosk code likely shared', summary: 'Kiosk code likely shared.', summary_zh: '签到码疑似共享。',
      separation_m: 1490, same_device: false, other_event_id: 'e0000000-0000-4000-8000-000000000008' } },
    { ...base, id: ids.bare, kind: 'requirement_missed', severity: 'low', site_id: null, event_ids: [], detail: {
      label_zh: '未达到服务要求', label_en: 'Requirement missed', summary: 'Requirement missed.', summary_zh: '未达到服务要求。' } },
  ];
  const fix = (id, role, at, minutesAgo) => ({
    event_id: id, role, physician_id: PHYSICIAN_ID, site_id: SITE_ID, action: 'check_in', device_id: 'x',
    lat: at[0], lon: at[1], accuracy_m: 20, is_mock: false,
    scanned_at: new Date(Date.now() - minutesAgo * 60000).toISOString(), verdict: 'flagged',
    distance_to_fence_m: 0, geofence_version: 1,
  });
  const square = { type: 'Polygon', crs: 'wgs84', coordinates: [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]] };
  const fixes = {
    [ids.travel]: { anomaly_id: ids.travel, site: { id: SITE_ID, name: SITE_NAME, geofence: null, geofence_version: 1 },
      fixes: [fix('e0000000-0000-4000-8000-000000000001', 'event', [lat, lon], 0), fix('e0000000-0000-4000-8000-000000000009', 'previous', [lat + 0.3, lon - 0.2], 9)] },
    [ids.shared]: { anomaly_id: ids.shared, site: { id: SITE_ID, name: SITE_NAME, geofence: square, geofence_version: 2 },
      fixes: [fix('e0000000-0000-4000-8000-000000000001', 'event', [lat + 0.0004, lon], 0), fix('e0000000-0000-4000-8000-000000000008', 'other', [lat - 0.0130, lon + 0.0030], 1)] },
    [ids.bare]: { anomaly_id: ids.bare, site: null, fixes: [] },
  };
  await page.route((url) => url.pathname === '/api/v1/anomalies', (route) =>
    route.fulfill({ json: { items, next_cursor: null } }));
  await page.route((url) => url.pathname.startsWith('/console/api/anomalies/'), (route) => {
    const id = new URL(route.request().url()).pathname.split('/')[4];
    return route.fulfill({ json: fixes[id] });
  });
  await page.locator('#f-apply').click();

  await queueItem(page, ids.travel).click();
  const travel = page.locator('#diagram svg[data-mode="travel"]');
  await travel.waitFor();
  assert.equal(await travel.locator('.distance-label').textContent(), '38.2 km');
  assert.match(await travel.locator('.speed-label').textContent(), /9 分钟 min · 255 km\/h/);
  assert.equal(await travel.locator('circle.fix').count(), 2);
  assert.match(await page.locator('#d-facts').textContent(), /所需速度.*255 km\/h/s);
  await shot(page, '07-impossible-travel.png');

  await queueItem(page, ids.shared).click();
  const shared = page.locator('#diagram svg[data-mode="scale"]');
  await shared.locator('path.fence').waitFor();
  assert.equal(await shared.locator('circle.fix').count(), 2);
  assert.equal(await shared.locator('line.separation').count(), 1);
  assert.match(await shared.textContent(), /间距 1\.5 km/);
  // The other use is about 1.47 km south, a little east: far outside the 330 m square.
  const other = Number(await shared.locator('circle.fix').nth(1).getAttribute('data-distance-m'));
  assert.ok(other > 1400 && other < 1550, `other fix ${other} m from the centre`);
  assert.match(await page.locator('#diagram-legend').textContent(), /对比定位.*南/s);
  await shot(page, '08-code-shared-polygon.png');

  await queueItem(page, ids.bare).click();
  await page.locator('#diagram svg .no-data').waitFor();
  assert.match(await page.locator('#d-visit').textContent(), /No visit/);

  await page.unrouteAll();
  await page.close();
});

test('a supervisor reviews the seeded anomaly and records an inspection', async (t) => {
  const page = await newPage('supervisor');
  // A second supervisor's tab, opened on the same anomaly before the first decides.
  const rival = await newPage('rival');

  await t.test('logs in and sees the open anomaly in the queue', async () => {
    await logIn(page);
    assert.equal(await page.locator('#who-name').textContent(), '陈督查');
    const item = queueItem(page, ANOMALY_ID);
    await item.waitFor();
    assert.match(await item.textContent(), /模拟定位/);
    assert.equal(await item.locator('.badge.sev-high').textContent(), '高 High');
    assert.equal(await item.getAttribute('data-status'), 'open');
    // The physician's name replaces the id once it has loaded.
    await item.locator('.person', { hasText: PHYSICIAN_NAME }).waitFor();
    // Sites come from /organizations into both the filter and the inspection form.
    assert.ok(await page.locator(`#f-site option[value="${SITE_ID}"]`).count());
    await shot(page, '01-queue.png');
  });

  await t.test('filters narrow the queue', async () => {
    await page.locator('#f-kind').selectOption('late_sync');
    await page.locator('#f-apply').click();
    await page.locator('#queue-count', { hasText: 'No anomalies match' }).waitFor();
    assert.equal(await queueItem(page, ANOMALY_ID).count(), 0);
    await page.locator('#f-kind').selectOption('mock_location');
    await page.locator('#f-site').selectOption(SITE_ID);
    await page.locator('#f-apply').click();
    await queueItem(page, ANOMALY_ID).waitFor();
  });

  await t.test('refreshes an expired access token once and carries on', async () => {
    await page.evaluate(() => {
      const key = 'xiaxiang.console.session';
      const s = JSON.parse(sessionStorage.getItem(key));
      s.access_token = 'expired.or.forged';
      sessionStorage.setItem(key, JSON.stringify(s));
    });
    // The page holds its session in memory; reload so it reads the spoiled token back.
    await page.reload();
    await page.locator('#app-view').waitFor({ state: 'visible' });
    await queueItem(page, ANOMALY_ID).waitFor();
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('xiaxiang.console.session')).access_token);
    assert.notEqual(token, 'expired.or.forged');
  });

  await t.test('opens the anomaly: facts, visit times and the distance diagram', async () => {
    await queueItem(page, ANOMALY_ID).click();
    const detail = page.locator('#detail-body');
    await detail.waitFor({ state: 'visible' });
    assert.match(await page.locator('#d-title').textContent(), /模拟定位.*Mock location reported/);
    await page.locator('#d-facts .person', { hasText: PHYSICIAN_NAME }).waitFor();
    assert.match(await page.locator('#d-summary').textContent(), /模拟定位/);
    assert.match(await page.locator('#d-summary-en').textContent(), /mock location/);
    assert.match(await page.locator('#d-facts').textContent(), new RegExp(SITE_NAME));
    // The visit: checked in, not yet out, so nothing is credited either way yet.
    await page.locator('#d-credit[data-value="open"]').waitFor();
    const visit = await page.locator('#d-visit').textContent();
    assert.match(visit, /签到.*Checked in\s*\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    assert.match(visit, /签退.*Checked out\s*—/);
    assert.match(visit, /在岗中/);

    const diagram = page.locator('#diagram svg[data-kind="distance-diagram"]');
    await diagram.waitFor();
    assert.equal(await diagram.getAttribute('data-mode'), 'scale');
    assert.equal(await diagram.locator('circle.fence').count(), 1);
    const fix = diagram.locator('circle.fix');
    assert.equal(await fix.count(), 1);
    // run.sh checked in about 40 m north-east of the fence centre.
    const metres = Number(await fix.getAttribute('data-distance-m'));
    assert.ok(metres > 25 && metres < 60, `fix drawn ${metres} m from the centre`);
    const legend = await page.locator('#diagram-legend').textContent();
    assert.match(legend, /本次定位/);
    assert.match(legend, /东北/);
    assert.match(legend, /模拟定位/);
    // At scale: the 150 m fence ring is drawn larger than the 40 m to the fix.
    const ring = Number(await diagram.locator('circle.fence').getAttribute('r'));
    const centre = { x: Number(await diagram.locator('circle.fence').getAttribute('cx')), y: Number(await diagram.locator('circle.fence').getAttribute('cy')) };
    const dot = { x: Number(await fix.getAttribute('cx')), y: Number(await fix.getAttribute('cy')) };
    const drawn = Math.hypot(dot.x - centre.x, dot.y - centre.y);
    assert.ok(Math.abs(drawn / ring - metres / 150) < 0.05, `fix at ${drawn} px with the fence at ${ring} px`);
    assert.ok(dot.x > centre.x && dot.y < centre.y, 'north-east of the centre');

    await rival.bringToFront();
    await logIn(rival);
    await queueItem(rival, ANOMALY_ID).click();
    await rival.locator('#btn-confirm:enabled').waitFor();

    await page.bringToFront();
    await shot(page, '02-detail.png');
  });

  await t.test('dismissing needs a note, then changes the status and locks the buttons', async () => {
    await page.locator('#btn-dismiss').click();
    await page.locator('#review-msg', { hasText: 'A note is required' }).waitFor();
    assert.equal(await page.locator('#d-head .badge[data-value="open"]').count(), 1);

    await page.locator('#review-note').fill('定位软件误报：当日院办电话核实医师在岗。');
    await page.locator('#btn-dismiss').click();
    await page.locator('#d-head .badge[data-value="dismissed"]').waitFor();
    await page.locator('#review-msg', { hasText: 'Dismissed' }).waitFor();
    assert.equal(await page.locator('#btn-dismiss').isDisabled(), true);
    assert.equal(await page.locator('#btn-confirm').isDisabled(), true);
    assert.match(await page.locator('#review-done').textContent(), /排除.*陈督查.*当日院办电话核实/s);
    assert.equal(await queueItem(page, ANOMALY_ID).getAttribute('data-status'), 'dismissed');
    await shot(page, '03-dismissed.png');
  });

  await t.test('a second review from a stale tab is reported as already reviewed', async () => {
    await rival.bringToFront();
    await rival.locator('#review-note').fill('确认为虚假签到');
    await rival.locator('#btn-confirm').click();
    await rival.locator('#review-msg', { hasText: 'already_reviewed' }).waitFor();
    assert.match(await rival.locator('#review-msg').textContent(), /已被审核.*Already reviewed/);
    // The stale tab catches up with the decision and keeps its buttons locked.
    await rival.locator('#d-head .badge[data-value="dismissed"]').waitFor();
    assert.equal(await rival.locator('#btn-confirm').isDisabled(), true);
    assert.equal(await rival.locator('#btn-dismiss').isDisabled(), true);
    await shot(rival, '04-already-reviewed.png');
  });

  await t.test('the dismissed filter lists it', async () => {
    await page.bringToFront();
    await page.locator('#f-status').selectOption('dismissed');
    await page.locator('#f-apply').click();
    await queueItem(page, ANOMALY_ID).waitFor();
    assert.equal(await queueItem(page, ANOMALY_ID).getAttribute('data-status'), 'dismissed');
  });

  await t.test('says when the network is gone and reloads the queue when it is back', async () => {
    await context.setOffline(true);
    const banner = page.locator('#net-banner');
    await banner.waitFor({ state: 'visible' });
    assert.match(await banner.textContent(), /网络已断开.*Offline/s);
    await page.locator('#f-apply').click();
    await page.locator('#queue-error', { hasText: '网络已断开 Offline' }).waitFor();
    await context.setOffline(false);
    await banner.waitFor({ state: 'hidden' });
    await page.locator('#queue-error').waitFor({ state: 'hidden' });
    await queueItem(page, ANOMALY_ID).waitFor();
  });

  await t.test('an unannounced inspection finds the checked-in physician absent', async () => {
    await page.locator('#tab-inspect').click();
    await page.locator('#inspect-view').waitFor({ state: 'visible' });
    const observed = await page.locator('#i-observed').inputValue();
    assert.match(observed, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, 'observed time defaults to now');
    await page.locator('#i-site').selectOption(SITE_ID);
    const row = page.locator(`#i-people tr[data-physician-id="${PHYSICIAN_ID}"]`);
    await row.waitFor();
    await row.locator('.person', { hasText: PHYSICIAN_NAME }).waitFor();
    await row.locator('input[value="absent"]').check();
    await page.locator('#i-kind').selectOption('unannounced');
    await page.locator('#i-note').fill('上午 10 时暗访，诊室无人。');
    // A mistyped id is caught before anything is sent.
    await page.locator('#i-present-ids').fill('not-an-id');
    await page.locator('#i-submit').click();
    await page.locator('#i-error', { hasText: 'not an ID' }).waitFor();
    await page.locator('#i-present-ids').fill('');

    await page.locator('#i-submit').click();
    const result = page.locator('#inspect-result');
    await result.waitFor({ state: 'visible' });
    assert.match(await result.textContent(), /核查记录已保存/);
    const raised = result.locator('#inspect-raised li[data-kind="inspection_absent"]');
    await raised.waitFor();
    await raised.locator('.person', { hasText: PHYSICIAN_NAME }).waitFor();
    await shot(page, '05-inspection.png');

    // The raised anomaly opens in the review pane.
    await raised.locator('button').click();
    await page.locator('#queue-view').waitFor({ state: 'visible' });
    await page.locator('#d-title', { hasText: '暗访/核查时不在岗' }).waitFor();
    // It names no event of its own, so the diagram draws the open visit's check-in.
    await page.locator('#diagram svg circle.fix').waitFor();
    assert.match(await page.locator('#diagram-legend').textContent(), /就诊定位.*签到/s);
    assert.match(await page.locator('#d-facts').textContent(), /核查类型.*暗访/s);
    await shot(page, '06-raised-anomaly.png');
  });

  await t.test('no console errors, CSP violations or uncaught exceptions', () => {
    assert.deepEqual(problems, []);
  });

  await rival.close();
  await page.close();
});
