// The page of `scripts/serve` in a real browser: starts sio-server without a
// config (the embedded demo, --port 0), opens http://.../ in two tabs of a
// headless Debian Chromium driven by playwright-core, joins both to a room,
// sends from one and checks the other shows it, and saves a screenshot under
// the build dir. Skips (with the reason) when Chromium is not installed or
// cannot start on this machine; with CI=true scripts/test counts that skip
// as a failure (scripts/allowed-skips does not list it). Also (no browser
// needed): only the two page files are served, with their types, and a
// missing one is a 404 + a hint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from './support/clients.mjs';
import { superviseProcess } from './support/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
// SIO_TEST_CHROMIUM overrides the path (e.g. to check the skip).
const CHROMIUM = process.env.SIO_TEST_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Starts the demo sio-server (no config); resolves with {origin, logs, kill}.
 * t.after stops it with SIGTERM and checks the exit: code 0, no sanitizer report.
 */
async function startDemo(t, extraArgs = []) {
  const bin = process.env.SIO_SERVER ? path.resolve(process.env.SIO_SERVER)
    : path.join(repo, 'build', 'examples', 'sio-server', 'sio-server');
  const child = spawn(bin, ['--port', '0', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  const srv = superviseProcess(child, 'sio-server (demo)', { ready: [/client url \(hub chat\): http:\/\/127\.0\.0\.1:\d+\//], t });
  const [line] = await srv.startup;
  const origin = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(line)[1];
  return { origin, logs: srv.logs, kill: srv.kill };
}

/** playwright-core and a runnable Chromium, or the reason to skip. */
async function launchBrowser(t) {
  if (!fs.existsSync(CHROMIUM)) return { skip: `${CHROMIUM} not found (Debian package chromium; scripts/install-deps installs it)` };
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    return { skip: `playwright-core is not installed (npm ci): ${e.message}` };
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-chromium-'));
  let context = null;
  // One hook, in this order: Chromium writes into its profile until it has
  // exited, so removing the profile first raced with it (ENOTEMPTY), and a
  // failed hook left Chromium running and the test process waiting for it.
  t.after(async () => {
    if (context) await context.close().catch(() => {});
    try {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } catch (e) {
      console.log(`# left the Chromium profile ${profile}: ${e.message}`);
    }
  });
  try {
    // A persistent context is how playwright takes a fresh --user-data-dir.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30000,
      viewport: { width: 900, height: 640 },
    });
    return { context };
  } catch (e) {
    return { skip: `chromium cannot start here: ${String(e.message).split('\n')[0]}` };
  }
}

/** Opens the chat page as `name` and joins `room`; collects page errors. */
async function openChat(context, origin, name, room, errors) {
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${name} console: ${m.text()}`); });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${name}: ${r.status()} for ${r.url()}`); });
  const res = await page.goto(`${origin}/`);
  assert.equal(res.status(), 200);
  await page.fill('#name', name);
  await page.fill('#room', room);
  await page.click('#join');
  await page.waitForFunction((r) => document.querySelector('#status').textContent.includes(`in room "${r}"`), room);
  return page;
}

test('two browser tabs chat through the embedded demo', { timeout: 90000 }, async (t) => {
  if (process.env.SIO_SERVER === 'reference') return t.skip('the Node reference server has no demo mode');
  const browser = await launchBrowser(t);
  if (browser.skip) return t.skip(browser.skip);
  const srv = await startDemo(t);
  const errors = [];

  const alice = await openChat(browser.context, srv.origin, 'Alice', 'lobby', errors);
  const bob = await openChat(browser.context, srv.origin, 'Bob', 'lobby', errors);
  await alice.locator('#log li.system', { hasText: 'Bob joined lobby' }).waitFor();

  await bob.fill('#text', 'hello from Bob');
  await bob.press('#text', 'Enter');
  const seen = alice.locator('#log li.message', { hasText: 'hello from Bob' });
  await seen.waitFor();
  assert.equal(await seen.locator('.from').textContent(), 'Bob');
  await bob.locator('#log li.message', { hasText: 'hello from Bob' }).waitFor();

  await alice.fill('#text', 'hi Bob, Alice here');
  await alice.click('#send');
  await bob.locator('#log li.message', { hasText: 'hi Bob, Alice here' }).waitFor();
  assert.equal(await bob.locator('#log li.message').count(), 2);

  // The official client upgraded to WebSocket on our server.
  await alice.waitForFunction(() => socket.io.engine.transport.name === 'websocket');

  const dir = process.env.MESON_BUILD_ROOT || os.tmpdir();
  const shot = path.join(dir, 'browser_chat.png');
  await alice.screenshot({ path: shot });
  assert.ok(fs.statSync(shot).size > 1000, 'screenshot written');
  t.diagnostic(`screenshot: ${shot}`);
  assert.deepEqual(errors, [], 'no page errors');
  assert.ok(srv.logs.some((l) => /socket connected hub=chat/.test(l)), 'the server logged the sockets');
});

test('the demo serves exactly its two page files', async (t) => {
  if (process.env.SIO_SERVER === 'reference') return t.skip('the Node reference server has no demo mode');
  const srv = await startDemo(t);
  const port = Number(new URL(srv.origin).port);
  const page = await request({ port, path: '/' });
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.equal(String(page.body), fs.readFileSync(path.join(repo, 'examples/chat/index.html'), 'utf8'));
  assert.equal((await request({ port, path: '/index.html' })).status, 200);
  const lib = await request({ port, path: '/socket.io.min.js' });
  assert.equal(lib.status, 200);
  assert.equal(lib.headers['content-type'], 'application/javascript; charset=utf-8');
  assert.match(lib.headers['cache-control'], /max-age=\d+/);
  assert.equal(String(lib.body),
    fs.readFileSync(path.join(repo, 'node_modules/socket.io-client/dist/socket.io.min.js'), 'utf8'));
  // Nothing else from the file system, however it is spelled.
  for (const p of ['/../package.json', '/%2e%2e/package.json', '/examples/chat/index.html', '/socket.io.js',
    '/node_modules/socket.io-client/dist/socket.io.min.js', '//index.html', '/index.html/', '/socket.io.min.js.map']) {
    const r = await request({ port, path: p });
    assert.equal(r.status, 404, `${p}: ${r.status}`);
    assert.match(String(r.headers['content-type']), /application\/json/);
  }
  const post = await request({ port, path: '/', method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET');
  // /negotiate still works next to the page.
  assert.equal((await request({ port, path: '/negotiate?hub=chat' })).status, 200);
});

test('a missing page file answers 404 JSON and logs a hint', async (t) => {
  if (process.env.SIO_SERVER === 'reference') return t.skip('the Node reference server has no demo mode');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-static-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><p>custom</p>');
  const srv = await startDemo(t, ['--static-dir', dir]);
  assert.ok(srv.logs.some((l) => /socket\.io\.min\.js is missing; run scripts\/install-deps/.test(l)),
    `start-up hint, got:\n${srv.logs.join('\n')}`);
  const port = Number(new URL(srv.origin).port);
  const page = await request({ port, path: '/' });
  assert.equal(page.status, 200);
  assert.equal(String(page.body), '<!doctype html><p>custom</p>');
  const lib = await request({ port, path: '/socket.io.min.js' });
  assert.equal(lib.status, 404);
  assert.match(String(lib.headers['content-type']), /application\/json/);
  assert.equal(JSON.parse(String(lib.body)).code, 'NotFound');
  const end = Date.now() + 3000;
  while (!srv.logs.some((l) => /GET \/socket\.io\.min\.js: .* is missing/.test(l))) {
    if (Date.now() > end) assert.fail(`no hint logged for the 404:\n${srv.logs.join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
});
