// Browser tests of failures on a real 3-node cluster: killing the master's process changes the role
// badges and the cluster view on the surviving nodes' pages; losing a majority shows the read-only
// banner and disables every write button.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type TestCluster, type TestNode } from '../cluster/cluster-helpers.js';
import { SAMPLE, addServers, ensureRendererBuilt, launchBrowser, openPage, shotBoth, skipReason, uiCluster, uiUrl } from './e2e-helpers.js';

const nodeRow = (page: Page, id: string) => page.locator(`tr.row[data-node="${id}"]`);
const headerRole = (page: Page) => page.locator('.node-role [data-role]');

describe.skipIf(skipReason !== null)(`failures seen in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let browser: Browser;
  let c: TestCluster;
  let oldMaster: TestNode;
  const pages = new Map<string, Page>();
  const errors: string[][] = [];

  beforeAll(async () => {
    ensureRendererBuilt();
    browser = await launchBrowser();
    c = await uiCluster();
    oldMaster = c.master()!;
    await addServers(oldMaster, SAMPLE);
    // one page on each node that will survive the master's crash, on the cluster view
    for (const t of c.nodes.filter((n) => n !== oldMaster)) {
      const p = await openPage(browser, uiUrl(t, 'cluster'), `user-${t.name}`);
      pages.set(t.name, p.page);
      errors.push(p.errors);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await c?.close();
  });

  it('the cluster view lists every node with its role', async () => {
    const [p] = [...pages.values()];
    for (const t of c.nodes) await nodeRow(p!, t.name).waitFor({ timeout: 10_000 });
    await nodeRow(p!, oldMaster.name).locator('[data-role="master"]').waitFor({ timeout: 5000 });
    expect(await p!.locator('[data-role="master"]').count()).toBe(1);
    await shotBoth(p!, 'cluster');
  });

  it("killing the master's process: the surviving pages show the new master within a few seconds", async () => {
    const crashedAt = Date.now();
    await c.crash(oldMaster.name);
    const m2 = await c.settled(10_000);
    expect(m2.name).not.toBe(oldMaster.name);
    const onNew = pages.get(m2.name)!;
    const onOther = [...pages.entries()].find(([n]) => n !== m2.name)![1];
    // the new master's own page: its header badge says master; the other page names it master
    await headerRole(onNew).and(onNew.locator('[data-role="master"]')).waitFor({ timeout: 5000 });
    await nodeRow(onOther, m2.name).locator('[data-role="master"]').waitFor({ timeout: 5000 });
    const seenMs = Date.now() - crashedAt;
    expect(seenMs).toBeLessThan(5000);
    console.info(`e2e: new master ${m2.name} shown on both surviving pages ${seenMs} ms after the crash`);
    expect(await headerRole(onOther).getAttribute('data-role')).toBe('slave');
    // the summary line names the new master (by its name, user@host here: issue 14), and nobody else is shown as master
    await onOther.locator('[data-test="cluster-master"]', { hasText: `${m2.name}@` }).waitFor({ timeout: 5000 });
    expect(await onOther.locator('[data-test="cluster-master"]').textContent()).not.toContain(`${oldMaster.name}@`);
    // the crashed node is marked and cannot be promoted
    const dead = nodeRow(onOther, oldMaster.name);
    await dead.locator('[data-test="unreachable"]').waitFor({ timeout: 5000 });
    expect(await dead.getByRole('button', { name: 'Promote' }).count()).toBe(0);
    expect(await nodeRow(onOther, onOther === onNew ? m2.name : [...pages.keys()].find((n) => n !== m2.name)!).locator('[data-test="unreachable"]').count()).toBe(0);
    for (const p of pages.values()) {
      await waitFor('one master row', async () => (await p.locator('tbody [data-role="master"]').count()) === 1, 5000);
      expect(await nodeRow(p, oldMaster.name).locator('[data-role="master"]').count()).toBe(0);
    }
    await shotBoth(onOther, 'cluster-after-failover');
  });

  it('without a majority the survivor is read-only: banner shown, write buttons disabled', async () => {
    const m2 = c.master()!;
    const survivor = c.nodes.find((n) => n !== m2)!;
    await c.crash(m2.name);
    const p = pages.get(survivor.name)!;
    await p.locator('[data-test="read-only"]').waitFor({ timeout: 10_000 });
    expect(await p.locator('[data-test="read-only"]').textContent()).toMatch(/Read-only\..*majority/s);
    await p.locator('[data-tab="board"]').click();
    await p.locator('tr.row').first().waitFor();
    const reserve = p.locator('tr.row button', { hasText: 'Reserve' });
    expect(await reserve.count()).toBe(SAMPLE.length);
    for (const b of await reserve.all()) expect(await b.isDisabled()).toBe(true);
    expect(await reserve.first().getAttribute('title')).toMatch(/^Read-only: /);
    // the board itself is still there to read
    expect(await p.locator('tr.row').count()).toBe(SAMPLE.length);
    await shotBoth(p, 'no-quorum-board');
    await p.locator('[data-tab="admin"]').click();
    await p.locator('.admin tr.row').first().waitFor();
    for (const b of await p.locator('.admin tr.row button').all()) expect(await b.isDisabled()).toBe(true);
    expect(await p.getByRole('button', { name: 'Add server' }).isDisabled()).toBe(true);
    expect(await p.getByRole('button', { name: 'Import' }).isDisabled()).toBe(true);
    for (const s of await p.locator('.admin input[role="switch"]').all()) expect(await s.isDisabled()).toBe(true);
    await shotBoth(p, 'no-quorum-admin');
  });

  it('logged no page errors', () => {
    expect(errors.flat()).toEqual([]);
  });
});
