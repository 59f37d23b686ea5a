// The demo in a real browser: Debian's Chromium driven by playwright-core over the demo on 127.0.0.1.
// Skips (with a message) only where Chromium cannot be launched; under CI=true that fails the run.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createDemoServer } from '../../examples/demo.ts';
import { colourStats, readPng } from '../helpers/png.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));

/** Launches Chromium with a fresh profile; `undefined` plus the reason when it cannot start. */
async function launch(profile: string): Promise<BrowserContext | string> {
  try {
    // launchPersistentContext passes `--user-data-dir=<profile>`: a new, empty profile per run.
    return await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
      timeout: 60_000,
    });
  } catch (err) {
    if (process.env.CI === 'true') throw err;
    return `Chromium could not be launched from ${CHROMIUM} (${(err instanceof Error ? err.message : String(err)).split('\n')[0]}); ` +
      'install it with `apt-get install chromium` (or set CHROMIUM_PATH) to run this test';
  }
}

/** The value cell of the demo's row labelled `label` (the session and timeout tables). */
async function cell(page: Page, label: string): Promise<string> {
  return (await page.locator('table.kv tr').filter({ has: page.locator('th', { hasText: label }) }).locator('td').first().innerText()).trim();
}

async function submit(page: Page, button: string): Promise<void> {
  await Promise.all([page.waitForURL(/\/\?done=/), page.getByRole('button', { name: button, exact: true }).click()]);
}

async function login(page: Page, subject: string): Promise<void> {
  await page.getByLabel('Subject').fill(subject);
  await page.getByLabel('Remember me').check();
  await submit(page, 'Log in');
}

describe('the demo in headless Chromium', () => {
  let server: http.Server;
  let base = '';
  let context: BrowserContext | undefined;
  let skip = '';
  const profile = mkdtempSync(join(tmpdir(), 'httpsession-chromium-'));
  const problems: string[] = [];

  before(async () => {
    const launched = await launch(profile);
    if (typeof launched === 'string') {
      skip = launched;
      return;
    }
    context = launched;
    server = createDemoServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  after(async () => {
    await context?.close();
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    rmSync(profile, { recursive: true, force: true });
  });

  test('login → visits → regenerate → logout → remember-me restores a dropped session cookie', { timeout: 120_000 }, async (t) => {
    if (context === undefined) return t.skip(skip);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`); // a CSP violation, say
    });

    await page.goto(`${base}/`);
    assert.equal(await cell(page, 'Subject'), 'anonymous');
    assert.equal(await cell(page, 'Visits'), '1');

    // The inline countdown runs (the CSP allows it by hash) and shortens the idle timeout between requests.
    const idle = Number.parseInt(await cell(page, 'Idle timeout in'), 10);
    await page.waitForFunction((before) => Number.parseInt(document.querySelector('#timeouts .v')!.textContent!, 10) < before, idle, { timeout: 5_000 });

    await login(page, 'alice');
    assert.equal(await cell(page, 'Subject'), 'alice');
    assert.equal(await cell(page, 'Remember me'), 'on');
    assert.equal(await cell(page, 'Visits'), '2', 'the data survives the login');
    const names = (await context.cookies()).map((c) => c.name).sort();
    assert.deepEqual(names, ['remember', 'session']);

    await page.reload();
    await page.reload();
    assert.equal(await cell(page, 'Visits'), '4');

    const before = await cell(page, 'Session id');
    await submit(page, 'Regenerate id');
    assert.notEqual(await cell(page, 'Session id'), before);
    assert.equal(await cell(page, 'Subject'), 'alice');
    assert.equal(await cell(page, 'Visits'), '5');
    await assert.doesNotReject(page.locator('#inspector').getByText('storage', { exact: false }).first().waitFor());

    await submit(page, 'Log out');
    assert.equal(await cell(page, 'Subject'), 'anonymous');
    assert.ok(!(await context.cookies()).some((c) => c.name === 'remember'), 'logout expires the remember cookie');

    await login(page, 'bob');
    await context.clearCookies({ name: 'session' });
    assert.deepEqual((await context.cookies()).map((c) => c.name), ['remember']);
    await page.goto(`${base}/`);
    assert.equal(await cell(page, 'Subject'), 'bob', 'the remember cookie restored the session');
    assert.equal(await cell(page, 'Remember me'), 'on');
    await page.getByText('the remember cookie restored this session').waitFor();
    assert.ok((await context.cookies()).some((c) => c.name === 'session'), 'a new session cookie is issued');

    const screenshot = await page.screenshot({ fullPage: true });
    mkdirSync(OUTPUT, { recursive: true });
    writeFileSync(join(OUTPUT, 'demo.png'), screenshot);
    const png = readPng(screenshot);
    const stats = colourStats(png);
    assert.ok(png.width >= 1000 && png.height >= 600, `screenshot ${png.width}x${png.height}`);
    assert.ok(stats.distinct >= 64, `a rendered page has many colours (text, bars, buttons), got ${stats.distinct}`);
    assert.ok(stats.notBackground >= 0.1, `at least 10 % of the pixels are not the background, got ${(stats.notBackground * 100).toFixed(1)} %`);

    await submit(page, 'Log out everywhere');
    assert.equal(await cell(page, 'Subject'), 'anonymous');
    assert.deepEqual(problems, []);
  });
});
