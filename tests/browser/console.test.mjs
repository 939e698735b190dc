// The moderators' console in a real browser: Debian's chromium (headless), driven by
// playwright-core, against a real `vigil serve` on 127.0.0.1 with tokens and the shipped
// rules. run.sh installs playwright-core (npm ci) and sets the environment:
//   VIGIL_BIN            build/vigil
//   VIGIL_SOURCE_DIR     the repository (rules, fixtures)
//   VIGIL_BROWSER_OUT    where screenshots and the server's log go (in the build folder)
//   VIGIL_BROWSER_DEPS   the folder holding node_modules/playwright-core
// One server and one browser for the file; the tests run in order and build on each other
// (the case dismissed in one is the case opened in an earlier one). Every wait is bounded.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BIN = process.env.VIGIL_BIN;
const SRC = process.env.VIGIL_SOURCE_DIR;
const OUT = process.env.VIGIL_BROWSER_OUT;
const CHROMIUM = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';
const { chromium } = createRequire(path.join(process.env.VIGIL_BROWSER_DEPS, 'x.js'))('playwright-core');

const MOD_TOKEN = 'console-test-moderator-token';
const FEED_TOKEN = 'console-test-ingest-token';
const WAIT = 15000; // ms, the longest any one step may take

const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(1)</script>',
  'dont tell anyone <b>we talk</b> <a href="https://example.invalid/">x</a>',
];

let server;
let base;
let context;
let page;
let userDataDir;
const dialogs = [];
const pageErrors = [];
const requests = [];

function fixture(name) {
  const file = path.join(SRC, 'tests/fixtures/conversations', `${name}.jsonl`);
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

// Replays messages through POST /v1/messages, one at a time as a platform would; returns
// the verdicts.
async function replay(messages) {
  const verdicts = [];
  for (const m of messages) {
    const res = await fetch(`${base}/v1/messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${FEED_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(m),
    });
    assert.equal(res.status, 200, await res.clone().text());
    verdicts.push(await res.json());
  }
  return verdicts;
}

async function api(p) {
  const res = await fetch(`${base}${p}`, { headers: { Authorization: `Bearer ${MOD_TOKEN}` } });
  assert.equal(res.status, 200, `${p}: ${res.status}`);
  return res.json();
}

async function startServer() {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-console-data-'));
  // The compiled rules are cached across runs in the build folder (the first run compiles).
  const cache = path.join(OUT, 'hs-cache');
  fs.mkdirSync(cache, { recursive: true });
  fs.symlinkSync(cache, path.join(data, 'hs-cache'));
  const log = fs.openSync(path.join(OUT, 'vigil-serve.log'), 'w');
  const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--rules', path.join(SRC, 'rules'), '--data-dir', data], {
    env: {
      ...process.env,
      VIGIL_TOKENS: `moderator:moderate:${MOD_TOKEN},feeder:ingest:${FEED_TOKEN}`,
      VIGIL_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', log],
  });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('vigil serve did not print its URL within 90 s')), 90000);
    let out = '';
    proc.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on('exit', (code) => reject(new Error(`vigil serve exited ${code}; see ${OUT}/vigil-serve.log`)));
  });
  return { proc, url, data };
}

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  server = await startServer();
  base = server.url;
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-console-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    locale: 'en-US',
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  context.setDefaultTimeout(WAIT);
  page = context.pages()[0] ?? (await context.newPage());
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('request', (r) => requests.push(r.url()));
});

after(async () => {
  await context?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  if (server) {
    server.proc.kill('SIGTERM');
    const code = await new Promise((r) =>
      server.proc.exitCode !== null ? r(server.proc.exitCode) : server.proc.on('exit', (c) => r(c)),
    );
    fs.rmSync(server.data, { recursive: true, force: true });
    // A sanitizer report (the ASan build runs this test too) makes the exit non-zero.
    assert.equal(code, 0, `vigil serve exits 0 after SIGTERM; see ${OUT}/vigil-serve.log`);
  }
});

test('console files are served with the security headers and no token', async () => {
  for (const p of ['/console/', '/console/js/app.js', '/console/console.css']) {
    const res = await fetch(`${base}${p}`);
    assert.equal(res.status, 200, p);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.ok(res.headers.get('etag'));
  }
  assert.match((await fetch(`${base}/console/js/app.js`)).headers.get('content-type'), /^text\/javascript/);
  const redirect = await fetch(`${base}/console`, { redirect: 'manual' });
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.get('location'), '/console/');
  // The API behind it still wants the token.
  assert.equal((await fetch(`${base}/v1/cases`)).status, 401);
});

test('a wrong token is rejected with a clear message', async () => {
  await page.goto(`${base}/console/`);
  await page.fill('#token', 'not-a-real-token');
  await page.click('#signin');
  const error = page.locator('#signin-error');
  await error.waitFor({ state: 'visible' });
  assert.match(await error.textContent(), /does not know that token/);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('vigil.token')), null);
});

let grooming; // the replayed fixture, with the hostile messages
let caseId;

test('a replayed grooming fixture opens a case at the top of the queue after sign-in', async () => {
  grooming = fixture('en_classic_progression');
  const conv = grooming[0].conversation_id;
  const suspect = grooming[0].sender_id;
  HOSTILE.forEach((text, i) =>
    grooming.push({ conversation_id: conv, message_id: `m-hostile-${i}`, sender_id: suspect, text }),
  );
  const verdicts = await replay(grooming);
  assert.ok(verdicts.some((v) => v.level === 'review' || v.level === 'urgent'), 'the fixture reaches review');
  // A benign conversation stays out of the queue.
  await replay(fixture('en_colleagues'));

  await page.fill('#token', MOD_TOKEN);
  await page.click('#signin');
  const top = page.locator('#queue-rows tr.case-row').first();
  await top.waitFor();
  assert.equal(await top.locator('td.conversation').textContent(), conv);
  caseId = await top.getAttribute('data-id');
  assert.ok(caseId);
  assert.equal(await page.locator('#queue-rows tr.case-row').count(), 1, 'only the grooming conversation has a case');
  assert.match(await top.locator('.badge[data-level]').getAttribute('data-level'), /review|urgent/);
  assert.ok((await top.locator('.chip').count()) > 0, 'top stages shown');
  await page.locator('#live.on').waitFor();
});

test('the case page shows the chart, the highlighted evidence and the suspect; chat text stays text', async () => {
  // By keyboard: the top row is selected; Enter opens it.
  assert.match(await page.locator('#queue-rows tr.case-row').first().getAttribute('class'), /selected/);
  await page.keyboard.press('Enter');
  await page.locator('#messages li.message').first().waitFor();
  assert.equal(await page.evaluate(() => location.hash), `#/case/${encodeURIComponent(caseId)}`);
  const detail = await api(`/v1/cases/${encodeURIComponent(caseId)}`);

  // The chart: one point per message, the three thresholds, stage bands.
  const points = await page.locator('#risk-chart circle.point').count();
  assert.equal(points, detail.messages.length);
  assert.deepEqual(
    await page.locator('#risk-chart line.threshold').evaluateAll((ls) => ls.map((l) => l.dataset.level)),
    ['watch', 'review', 'urgent'],
  );
  assert.ok((await page.locator('#risk-chart g.band').count()) >= 3, 'stage bands');

  // Every hit's span, cut from the original bytes, is what the page marks.
  const expected = [];
  for (const m of detail.messages) {
    const bytes = Buffer.from(m.text, 'utf8');
    for (const h of m.hits ?? []) {
      if (!h.shadow) expected.push(bytes.subarray(h.start, h.end).toString('utf8'));
    }
  }
  assert.ok(expected.length >= 4, 'the fixture has evidence');
  const marked = await page.locator('#messages mark.hit').allTextContents();
  for (const e of expected) assert.ok(marked.some((m) => m.includes(e) || e.includes(m)), `"${e}" is highlighted`);
  const title = await page.locator('#messages mark.hit').first().getAttribute('title');
  assert.match(title, /\w+\.\w+\.\w+/, 'the rule id (and description) on hover');

  // The suspect is marked.
  assert.equal(await page.locator('#suspect-id').textContent(), grooming[0].sender_id);
  assert.ok((await page.locator('li.message.from-suspect .suspect-badge').count()) > 0);

  // Blurred until clicked.
  await page.screenshot({ path: path.join(OUT, 'case-blurred.png') });
  const firstText = page.locator('#messages li.message .text').first();
  assert.match(await firstText.getAttribute('class'), /blurred/);
  assert.notEqual(await firstText.evaluate((el) => getComputedStyle(el).filter), 'none');
  await firstText.click();
  assert.match(await firstText.getAttribute('class'), /revealed/);

  // Hostile text is text: shown as written, no element made from it, nothing ran or loaded.
  for (const [i, text] of HOSTILE.entries()) {
    const li = page.locator(`#messages li.message[data-message-id="m-hostile-${i}"] .text`);
    assert.equal(await li.textContent(), text);
    assert.equal(await li.locator('img, script, b, a').count(), 0);
  }
  assert.equal(await page.locator('#messages img, #messages script, img').count(), 0);
  assert.deepEqual(dialogs, [], 'no dialog opened');
  assert.ok(!requests.some((u) => u.endsWith('/x') || u.includes('example.invalid')), 'nothing loaded from chat text');
  // The case's audit trail shows to a moderator: this very read, by this token's name.
  await page.locator('#audit .audit-list li', { hasText: 'case.read' }).first().waitFor();
  assert.ok((await page.locator('#audit').textContent()).includes('moderator'));

  await page.keyboard.press('r'); // reveal all, for the screenshots
  await page.evaluate(() => document.activeElement?.blur());
  await page.screenshot({ path: path.join(OUT, 'case.png'), fullPage: true });
  await page.screenshot({ path: path.join(OUT, 'case-top.png'), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1600 } });
});

test('the export downloads the evidence bundle', async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('x')]);
  const file = await download.path();
  const bundle = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.ok(JSON.stringify(bundle).includes(grooming[0].conversation_id));
});

test('dismissing with a reason takes the case out of the queue', async () => {
  const before = (await api('/v1/cases')).counts;
  const todoBefore = before.open + before.in_review + before.escalated;
  await page.keyboard.press('d');
  await page.locator('#dismiss-reason').waitFor();
  const reason = page.locator('#dismiss-reason');
  if ((await reason.evaluate((el) => el.tagName)) === 'SELECT') {
    const values = await reason.locator('option').evaluateAll((os) => os.map((o) => o.value));
    await reason.selectOption(values[0]);
  } else {
    await reason.fill('not grooming');
  }
  await page.fill('#dismiss-note', 'browser test');
  await page.click('#dismiss-submit');
  await page.locator('#queue').waitFor();
  await page.locator('.tab[data-status="dismissed"] .count', { hasText: String(before.dismissed + 1) }).waitFor();
  assert.equal(await countOf('todo'), String(todoBefore - 1));
  assert.equal(await page.locator(`#queue-rows tr[data-id="${caseId}"]`).count(), 0);
  assert.equal(await page.locator('#queue-rows tr.case-row').count(), 0);
  const detail = await api(`/v1/cases/${encodeURIComponent(caseId)}`);
  assert.equal(detail.status, 'dismissed');
  assert.equal(detail.decisions.at(-1).decision, 'dismiss');
});

async function countOf(status) {
  return page.locator(`.tab[data-status="${status}"] .count`).textContent();
}

test('a new case appears in the queue without a reload', async () => {
  await page.evaluate(() => (window.__sameDocument = true));
  const zh = fixture('zh_traditional');
  await replay(zh);
  const row = page.locator('#queue-rows tr.case-row', { hasText: zh[0].conversation_id });
  await row.waitFor();
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload happened');
  assert.match(await row.getAttribute('class'), /fresh/, 'a pushed row is highlighted');
  await page.screenshot({ path: path.join(OUT, 'queue.png'), fullPage: true });

  // The Chinese case's evidence is cut on character boundaries.
  await row.click();
  await page.locator('#messages mark.hit').first().waitFor();
  const id = await page.evaluate(() => decodeURIComponent(location.hash.replace('#/case/', '')));
  const detail = await api(`/v1/cases/${encodeURIComponent(id)}`);
  const expected = detail.messages.flatMap((m) =>
    (m.hits ?? []).filter((h) => !h.shadow).map((h) => Buffer.from(m.text, 'utf8').subarray(h.start, h.end).toString('utf8')),
  );
  const marked = await page.locator('#messages mark.hit').allTextContents();
  for (const e of expected) assert.ok(marked.some((m) => m.includes(e) || e.includes(m)), `"${e}" is highlighted`);
  assert.equal(await page.locator('#viewed').textContent(), 'Viewed this session: 2');
  await page.keyboard.press('r');
  await page.screenshot({ path: path.join(OUT, 'case-zh.png'), fullPage: true });

  // Assign to me, then confirm: the case leaves the to-do list.
  await page.keyboard.press('a');
  await page.locator('#assignee', { hasText: 'moderator' }).waitFor();
  await page.locator('.case-head .badge[data-status="in_review"]').waitFor();
  await page.keyboard.press('c');
  await page.locator('.tab[data-status="confirmed"] .count', { hasText: '1' }).waitFor();
  assert.equal(await page.locator('#queue-rows tr.case-row').count(), 0);
  const decided = await api(`/v1/cases/${encodeURIComponent(id)}`);
  assert.equal(decided.status, 'confirmed');
  assert.equal(decided.decisions.at(-1).moderator, 'moderator');
});

test('the interface speaks Chinese to a Chinese browser', async () => {
  const p = await context.newPage(); // a new tab: its own sessionStorage, so signed out
  await p.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'language', { get: () => 'zh-CN' });
    Object.defineProperty(Navigator.prototype, 'languages', { get: () => ['zh-CN', 'zh'] });
  });
  await p.goto(`${base}/console/`);
  assert.equal(await p.locator('#signin-form h1').textContent(), '登录');
  await p.fill('#token', MOD_TOKEN);
  await p.click('#signin');
  assert.match(await p.locator('.tab[data-status="dismissed"]').textContent(), /已驳回/);
  await p.click('.tab[data-status="all"]');
  await p.locator('#queue-rows tr.case-row').nth(1).waitFor();
  await p.screenshot({ path: path.join(OUT, 'queue-zh.png') });
  assert.equal(await p.evaluate(() => document.documentElement.lang), 'zh-CN');
  await p.close();
});

test('no script error in the page', () => {
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(dialogs, []);
});
