// Browser-facing behaviour of the session cookie, in a real headless Chromium (Debian's
// `chromium`, driven over the DevTools protocol by puppeteer-core), against each example server
// on 127.0.0.1. Run by scripts/browser-test.sh, which builds the examples and passes their paths:
//
//   EXAMPLES="axum=/path/axum_hello actix=/path/actix_hello rocket=/path/rocket_hello" \
//     node --test tests/browser/
//
// What a browser must see: the cookie is stored and sent back; HttpOnly, Secure and SameSite are
// what was configured and script cannot read the cookie; a `__Host-` name works; a session just
// under the size limit round-trips while one over it gets the loud 500; logout and
// regeneration replace the cookie; a tampered cookie gives a new session.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import puppeteer from 'puppeteer-core';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SECRET = 'browser-test-secret-0123456789-abcdefghijklmnop';

const examples = (process.env.EXAMPLES ?? '')
  .split(/\s+/)
  .filter(Boolean)
  .map((pair) => {
    const [name, path] = pair.split('=');
    return { name, path };
  });

if (examples.length === 0) {
  throw new Error('EXAMPLES is empty: run this through scripts/browser-test.sh');
}

/** A port that was free a moment ago; the example binds it itself. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts an example binary and waits until it answers. */
async function startExample(path, env) {
  const port = await freePort();
  const child = spawn(path, [], {
    env: { PATH: process.env.PATH, PORT: String(port), SESSION_SECRET: SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`${path} exited early (${child.exitCode}):\n${output}`);
    }
    try {
      await fetch(`${origin}/whoami`);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${path} did not answer on ${origin}:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    origin,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

let browser;

before(async () => {
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
});

/** A fresh browser context (its own cookie jar) with one page. */
async function freshPage() {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  return { context, page };
}

/** Navigates and returns [status, body text]. */
async function visit(page, url) {
  const response = await page.goto(url, { waitUntil: 'load' });
  return [response.status(), (await page.evaluate(() => document.body?.innerText ?? '')).trim()];
}

/** A same-origin POST made by the page's own script (cookies included), as a form would. */
async function post(page, path) {
  return page.evaluate(async (path) => {
    const response = await fetch(path, { method: 'POST', credentials: 'same-origin' });
    return [response.status, (await response.text()).trim()];
  }, path);
}

/** The cookies the browser holds for the page's origin, read over CDP (script cannot). */
async function sessionCookie(page, name) {
  const cookies = await page.browserContext().cookies();
  return cookies.find((cookie) => cookie.name === name);
}

for (const example of examples) {
  describe(`${example.name} example in Chromium`, () => {
    let server;
    let hostServer;

    before(async () => {
      server = await startExample(example.path, {});
      hostServer = await startExample(example.path, { SESSION_COOKIE_NAME: '__Host-session' });
    });

    after(async () => {
      await server?.stop();
      await hostServer?.stop();
    });

    test('the cookie is stored, sent back, and has the configured attributes', async () => {
      const { context, page } = await freshPage();
      try {
        assert.deepEqual(await visit(page, `${server.origin}/`), [200, 'Hello, john!']);
        const cookie = await sessionCookie(page, 'session');
        assert.ok(cookie, 'the browser stored the session cookie');
        assert.equal(cookie.httpOnly, true);
        assert.equal(cookie.secure, true);
        assert.equal(cookie.sameSite, 'Lax');
        assert.equal(cookie.path, '/');
        // HttpOnly: script cannot read it.
        const visible = await page.evaluate(() => document.cookie);
        assert.ok(!visible.includes('session='), `document.cookie exposed it: ${visible}`);
        // Sent back: the next request reads the session.
        assert.deepEqual(await visit(page, `${server.origin}/whoami`), [200, 'john']);
        assert.deepEqual(await visit(page, `${server.origin}/visits`), [200, '1']);
        assert.deepEqual(await visit(page, `${server.origin}/visits`), [200, '2']);
      } finally {
        await context.close();
      }
    });

    test('a __Host- cookie name works', async () => {
      const { context, page } = await freshPage();
      try {
        assert.deepEqual(await visit(page, `${hostServer.origin}/`), [200, 'Hello, john!']);
        const cookie = await sessionCookie(page, '__Host-session');
        assert.ok(cookie, 'the browser accepted the __Host- cookie');
        assert.equal(cookie.secure, true);
        assert.equal(cookie.path, '/');
        assert.equal(cookie.domain, '127.0.0.1', 'host-only: no Domain attribute');
        assert.deepEqual(await visit(page, `${hostServer.origin}/whoami`), [200, 'john']);
      } finally {
        await context.close();
      }
    });

    test('a session just under the size limit round-trips; one over it is a loud 500', async () => {
      const { context, page } = await freshPage();
      try {
        // The largest fill the server accepts, by bisection: each accepted fill replaces the
        // cookie, each refused one must leave it alone.
        let low = 0;
        let high = 4096;
        while (low + 1 < high) {
          const middle = (low + high) >> 1;
          const [status] = await visit(page, `${server.origin}/fill?bytes=${middle}`);
          assert.ok(status === 200 || status === 500, `unexpected status ${status}`);
          if (status === 200) low = middle;
          else high = middle;
        }
        assert.ok(low > 2000, `a useful session fits (largest fill ${low})`);
        assert.deepEqual((await visit(page, `${server.origin}/fill?bytes=${low}`))[0], 200);
        const big = await sessionCookie(page, 'session');
        assert.ok(big, 'the browser kept the largest cookie');
        assert.ok(big.name.length + big.value.length > 3500, 'the cookie is near the limit');
        // It round-trips: the server reads it back.
        assert.deepEqual(await visit(page, `${server.origin}/fill-len`), [200, String(low)]);
        // One byte more is refused loudly, and the browser keeps the previous cookie.
        const [status] = await visit(page, `${server.origin}/fill?bytes=${low + 1}`);
        assert.equal(status, 500);
        assert.equal((await sessionCookie(page, 'session')).value, big.value);
        assert.deepEqual(await visit(page, `${server.origin}/fill-len`), [200, String(low)]);
      } finally {
        await context.close();
      }
    });

    test('logout and regeneration replace the cookie', async () => {
      const { context, page } = await freshPage();
      try {
        await visit(page, `${server.origin}/`);
        const before = await sessionCookie(page, 'session');
        assert.deepEqual(await post(page, '/login'), [200, 'Welcome, john!']);
        const regenerated = await sessionCookie(page, 'session');
        assert.ok(regenerated, 'a cookie after login');
        assert.notEqual(regenerated.value, before.value, 'login replaced the cookie');
        assert.deepEqual(await visit(page, `${server.origin}/whoami`), [200, 'john']);

        const [status] = await post(page, '/logout');
        assert.equal(status, 200);
        const afterLogout = await sessionCookie(page, 'session');
        assert.ok(
          !afterLogout || afterLogout.value !== regenerated.value,
          'logout replaced or removed the cookie',
        );
        assert.deepEqual(await visit(page, `${server.origin}/whoami`), [200, 'anonymous']);
      } finally {
        await context.close();
      }
    });

    test('a tampered cookie gives a new session', async () => {
      const { context, page } = await freshPage();
      try {
        await visit(page, `${server.origin}/`);
        const cookie = await sessionCookie(page, 'session');
        const middle = cookie.value.length >> 1;
        const flipped = cookie.value[middle] === 'A' ? 'B' : 'A';
        const tampered = cookie.value.slice(0, middle) + flipped + cookie.value.slice(middle + 1);
        await context.setCookie({ ...cookie, value: tampered });
        assert.equal((await sessionCookie(page, 'session')).value, tampered);
        assert.deepEqual(await visit(page, `${server.origin}/whoami`), [200, 'anonymous']);
        assert.deepEqual(await visit(page, `${server.origin}/visits`), [200, '1']);
        assert.notEqual((await sessionCookie(page, 'session')).value, tampered);
      } finally {
        await context.close();
      }
    });
  });
}
