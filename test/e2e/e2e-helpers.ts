// Helpers for browser tests of the real UI: builds dist/renderer when it is missing or older than
// renderer/, starts a loopback cluster whose nodes serve the UI, drives Debian's Chromium, saves PNGs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { NodeConfigInput } from '../../node-core/src/config.js';
import { TestCluster, api, type TestNode } from '../cluster/cluster-helpers.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const UI_DIR = join(ROOT, 'dist/renderer');
export const ARTIFACTS = join(ROOT, 'test-artifacts/e2e');
export const CHROMIUM = '/usr/bin/chromium';

/** why the browser tests cannot run here, or null when they can */
export const skipReason: string | null = existsSync(CHROMIUM)
  ? null
  : `${CHROMIUM} is missing: install Debian's chromium package (.ci/run does) to run the browser tests`;

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Builds the renderer if dist/renderer is missing or older than any file under renderer/. */
export function ensureRendererBuilt(): void {
  const index = join(UI_DIR, 'index.html');
  const sources = ['renderer/src', 'renderer/index.html', 'renderer/vite.config.ts'].map((p) => newestMtime(join(ROOT, p)));
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...sources)) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
    timeout: 90_000,
  });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

export type Scheme = 'light' | 'dark';

/** A browser context for one user: the name is already saved, console errors are collected. */
export async function openPage(browser: Browser, url: string, user: string, scheme: Scheme = 'light'): Promise<{ ctx: BrowserContext; page: Page; errors: string[] }> {
  const ctx = await browser.newContext({ colorScheme: scheme, viewport: { width: 1440, height: 900 } });
  await ctx.addInitScript((u) => localStorage.setItem('peerboard.user', u), user);
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // a node that is gone makes fetch() log a network error; that is the scenario, not a bug
    if (m.type() === 'error' && !/ERR_CONNECTION_REFUSED|Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  await page.goto(url);
  await page.locator('[data-test="link-state"]', { hasText: 'Live' }).waitFor({ timeout: 15_000 });
  return { ctx, page, errors };
}

/** Saves a full-page PNG as test-artifacts/e2e/<name>-<scheme>.png and returns its path. */
export async function shot(page: Page, name: string, scheme: Scheme = 'light'): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}-${scheme}.png`);
  // let transitions and the 1 s clock settle so the picture is what a user sees
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Takes the same view in both schemes: `show` puts the page into the state to photograph. */
export async function shotBoth(page: Page, name: string, show: () => Promise<void> = async () => undefined): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await show();
    await shot(page, name, scheme);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** Three nodes on loopback, each serving the built UI on its own port; waits for 3 voters. */
export async function uiCluster(names = ['n1', 'n2', 'n3'], base: Partial<NodeConfigInput> = {}): Promise<TestCluster> {
  const c = await TestCluster.create(base);
  for (const n of names) await c.add(n, { uiPort: 0, uiDir: UI_DIR, user: n });
  const m = await c.settled(15_000);
  const deadline = Date.now() + 15_000;
  while (!(m.node.raft.config?.voters.length === names.length && !m.node.raft.configChangePending())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${names.length} voters`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return c;
}

export function uiUrl(t: TestNode, hash = 'board'): string {
  if (!t.http.uiPort) throw new Error(`${t.name} serves no UI`);
  return `http://127.0.0.1:${t.http.uiPort}/#${hash}`;
}

export async function addServers(t: TestNode, servers: Array<{ host: string; app?: string; ip?: string; env?: string; comment?: string }>): Promise<void> {
  const r = await api(t.api, 'POST', '/api/servers/import', { serversList: servers });
  if (r.status !== 200) throw new Error(`import failed: ${r.status} ${JSON.stringify(r.body)}`);
}

export const SAMPLE = [
  { host: 'srv-app-01', app: 'Billing', ip: '10.0.0.11', env: 'preprod', comment: 'nightly batch runner' },
  { host: 'srv-app-02', app: 'Billing', ip: '10.0.0.12', env: 'preprod' },
  { host: 'srv-web-01', app: 'Storefront', ip: '10.0.1.21', env: 'qa' },
  { host: 'srv-db-01', app: 'Ledger', ip: '10.0.2.31', env: 'perf' },
];
