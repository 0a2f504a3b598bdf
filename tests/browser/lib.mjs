// Shared by the kiosk and phone tests: the world run.sh seeded, Chromium's options, the
// JSON API, and QR pictures: read with jsQR, and turned into Y4M footage for a fake camera.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';

export function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through tests/browser/run.sh`);
  return value;
}

export const BASE = env('BROWSER_BASE_URL');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = process.env.CONSOLE_ARTIFACTS || join(process.cwd(), '..', '..', 'test-artifacts', 'browser');
mkdirSync(ARTIFACTS, { recursive: true });

/** The flags every launch uses: no sandbox (containers), nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export const site = {
  id: env('CONSOLE_SITE_ID'),
  name: env('CONSOLE_SITE_NAME'),
  lat: Number(env('BROWSER_SITE_LAT')),
  lon: Number(env('BROWSER_SITE_LON')),
  radiusM: Number(env('BROWSER_SITE_RADIUS_M')),
};
export const KIOSK_TOKEN = env('BROWSER_KIOSK_TOKEN');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A point `north` and `east` metres from the site's fence centre. */
export function offset(north, east) {
  const lat = site.lat + north / 111_320;
  const lon = site.lon + east / (111_320 * Math.cos((site.lat * Math.PI) / 180));
  return { latitude: lat, longitude: lon };
}

/** A JSON call: `{status, headers, body}`, the body parsed when it is JSON. */
export async function api(method, path, { token, body } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed = text;
  try { parsed = text ? JSON.parse(text) : null; } catch (_) { /* not JSON */ }
  return { status: res.status, headers: res.headers, body: parsed };
}

export async function accessToken(phone, password) {
  const res = await api('POST', '/api/v1/auth/login', { body: { phone, password } });
  if (res.status !== 200) throw new Error(`login ${phone}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token;
}

/** The kiosk's current rotating code (`step`, `valid_until`, `period_seconds`, `payload`). */
export async function kioskCode() {
  const res = await api('GET', '/api/v1/kiosk/code', { token: KIOSK_TOKEN });
  if (res.status !== 200) throw new Error(`kiosk code: ${res.status}`);
  return res.body;
}

/**
 * Waits for a step later than `afterStep` that has most of its period ahead, so that a
 * code rendered now stays acceptable (its own step and the next) for well over a period.
 */
export async function freshStep(afterStep) {
  for (;;) {
    const code = await kioskCode();
    const left = Date.parse(code.valid_until) - Date.now();
    if (code.step > afterStep && left > code.period_seconds * 600) return code;
    await sleep(Math.min(Math.max(left + 150, 150), 1000));
  }
}

/** The QR code in a PNG picture, or null. */
export function decodeQrPng(buffer) {
  const png = PNG.sync.read(buffer);
  const pixels = new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length);
  const found = jsQR(pixels, png.width, png.height, { inversionAttempts: 'attemptBoth' });
  return found ? found.data : null;
}

/**
 * A PNG as Y4M video (YUV 4:2:0, full range, grey: U = V = 128), `frames` identical
 * frames, as Chromium's `--use-file-for-fake-video-capture` plays it in a loop.
 */
export function pngToY4m(buffer, frames = 5) {
  const png = PNG.sync.read(buffer);
  const { width, height, data } = png;
  if (width % 2 || height % 2) throw new Error(`Y4M 4:2:0 needs even sizes, got ${width}x${height}`);
  const luma = Buffer.alloc(width * height);
  for (let i = 0; i < width * height; i += 1) {
    const a = data[i * 4 + 3] / 255;
    // Composite on white, then BT.601 luma.
    const [r, g, b] = [0, 1, 2].map((c) => data[i * 4 + c] * a + 255 * (1 - a));
    luma[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2), 128);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F5:1 Ip A1:1 C420jpeg\n`, 'ascii');
  const frame = Buffer.concat([Buffer.from('FRAME\n', 'ascii'), luma, chroma, chroma]);
  return Buffer.concat([header, ...Array(frames).fill(frame)]);
}

/**
 * Renders the kiosk's current `code.svg` with Chromium into a 640x480 camera frame and
 * writes it as Y4M. Returns the step the server drew, the payload read back from the
 * picture (so the footage provably carries it), and the file.
 */
export async function footage(browser, dir, name) {
  const res = await fetch(`${BASE}/api/v1/kiosk/code.svg`, { headers: { Authorization: `Bearer ${KIOSK_TOKEN}` } });
  if (res.status !== 200) throw new Error(`code.svg: ${res.status}`);
  const step = Number(res.headers.get('x-code-step'));
  const svg = Buffer.from(await res.text()).toString('base64');
  const page = await browser.newPage({ viewport: { width: 640, height: 480 } });
  await page.setContent('<!doctype html><html><body style="margin:0;width:640px;height:480px;background:#fff;' +
    'display:flex;align-items:center;justify-content:center">' +
    `<img id="qr" width="380" height="380" alt="" src="data:image/svg+xml;base64,${svg}"></body></html>`);
  await page.locator('#qr').evaluate((img) => img.decode());
  const png = await page.screenshot({ type: 'png' });
  await page.close();
  const payload = decodeQrPng(png);
  if (!payload) throw new Error('the rendered code does not read back');
  const file = join(dir, `${name}.y4m`);
  writeFileSync(file, pngToY4m(png));
  writeFileSync(join(ARTIFACTS, `${name}-camera.png`), png);
  return { step, payload, file };
}

/** Collects console errors and uncaught exceptions, minus the ones a test provokes. */
export function watchProblems(page, label, problems, expected) {
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !expected.some((re) => re.test(msg.text()))) {
      problems.push(`${label}: console: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`${label}: ${err.message}`));
}

export async function shot(page, name, options = {}) {
  await page.screenshot({ path: join(ARTIFACTS, name), ...options });
}

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
