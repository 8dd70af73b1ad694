// Browser test against three real headless processes in web mode (each serves the built UI on its
// frontend port): `kill -9` of the master's process changes the role badges on the surviving pages,
// and the reservation acknowledged before the kill is still on the board they show.
import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, freeUdpPort, waitFor } from '../cluster/cluster-helpers.js';
import { type HeadlessProc as Proc, masterAmong, startHeadless } from '../cluster/process-helpers.js';
import { ROOT, SAMPLE, UI_DIR, ensureRendererBuilt, launchBrowser, openPage, shotBoth, skipReason } from './e2e-helpers.js';

const nodeRow = (page: Page, id: string) => page.locator(`tr.row[data-node="${id}"]`);
const headerRole = (page: Page) => page.locator('.node-role [data-role]');

describe.skipIf(skipReason !== null)(`kill -9 of a real master process, seen in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const procs: Proc[] = [];
  let browser: Browser;

  beforeAll(async () => {
    ensureRendererBuilt();
    const discovery = await freeUdpPort();
    const opts = { clusterId: 'e2e-proc', discoveryPort: discovery, uiDir: UI_DIR, cwd: ROOT };
    procs.push(...(await Promise.all(['w1', 'w2', 'w3'].map((name) => startHeadless(opts, name)))));
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const p of procs) p.child.kill('SIGKILL');
    for (const p of procs) rmSync(p.dir, { recursive: true, force: true });
  });

  it('the surviving pages show the new master and keep the reservation acknowledged before the kill', async () => {
    const m = await waitFor('a master with 3 voters', () => masterAmong(procs, 3), 30_000, 50).catch(async (err: Error) => {
      const hs = await Promise.all(procs.map(async (p) => `${p.name}: ${JSON.stringify((await api(p.url, 'GET', '/api/health').catch((e: Error) => ({ body: e.message }))).body)}`));
      throw new Error(`${err.message}\n${hs.join('\n')}`);
    });
    expect((await api(m.url, 'POST', '/api/servers/import', { serversList: SAMPLE })).status).toBe(200);
    const held = await api(m.url, 'POST', '/api/servers/srv-app-01/reserve', { user: 'alice', durationSec: 3600, comment: 'before the kill' });
    expect(held.status).toBe(200);

    const survivors = procs.filter((p) => p !== m);
    const pages = new Map<string, Page>();
    const errors: string[][] = [];
    for (const p of survivors) {
      const opened = await openPage(browser, `http://127.0.0.1:${p.uiPort}/#cluster`, `user-${p.name}`);
      pages.set(p.name, opened.page);
      errors.push(opened.errors);
      // set-up, not the measured failover: a page's first load on a loaded 2-core CI machine (three node
      // processes probing, Chromium starting) once took over 10 s
      await nodeRow(opened.page, m.name).locator('[data-role="master"]').waitFor({ timeout: 20_000 });
    }

    const killedAt = Date.now();
    m.child.kill('SIGKILL');
    const m2 = await waitFor('a new master', () => masterAmong(survivors, 3), 15_000, 20);
    const onNew = pages.get(m2.name)!;
    const onOther = pages.get(survivors.find((p) => p !== m2)!.name)!;
    await headerRole(onNew).and(onNew.locator('[data-role="master"]')).waitFor({ timeout: 5000 });
    await nodeRow(onOther, m2.name).locator('[data-role="master"]').waitFor({ timeout: 5000 });
    const seenMs = Date.now() - killedAt;
    console.info(`e2e: kill -9 of process ${m.name}; new master ${m2.name} shown on both surviving pages ${seenMs} ms later`);
    expect(seenMs).toBeLessThan(5000);
    expect(await headerRole(onOther).getAttribute('data-role')).toBe('slave');
    await nodeRow(onOther, m.name).locator('[data-test="unreachable"]').waitFor({ timeout: 5000 });
    // both pages settle on the new master: live link, no read-only banner
    for (const page of pages.values()) {
      await page.locator('[data-test="link-state"]', { hasText: 'Live' }).waitFor({ timeout: 5000 });
      await waitFor('no read-only banner', async () => (await page.locator('[data-test="read-only"]').count()) === 0, 5000);
    }
    console.info(`e2e: both surviving pages live and writable ${Date.now() - killedAt} ms after the kill`);
    await shotBoth(onOther, 'process-kill-cluster');

    // the acknowledged reservation survived the kill: both survivors' boards show alice's hold
    for (const page of pages.values()) {
      await page.goto(page.url().replace('#cluster', '#board'));
      const row = page.locator('tr', { hasText: 'srv-app-01' });
      await row.getByText('alice').waitFor({ timeout: 5000 });
      await row.getByText('before the kill').waitFor({ timeout: 5000 });
    }
    expect(errors.flat()).toEqual([]);
  }, 90_000);
});
