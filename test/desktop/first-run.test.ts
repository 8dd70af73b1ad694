// The desktop first run in Chromium over the real IPC handlers: "Create a team" generates a key, shows
// the invite and starts a node that founds the team with that key; "Join a team" with a pasted invite
// (carrying the key) starts a node that joins a running 2-node cluster as its third voter.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatInvite } from '../../node-core/src/security/invite.js';
import { TestCluster, freeUdpPort, waitFor } from '../cluster/cluster-helpers.js';
import { skipReason } from '../e2e/e2e-helpers.js';
import { TEST_CLUSTER_KEY } from '../test-key.js';
import { ensureDesktopBuilt, launchDesktopBrowser, openDesktop, shot, type DesktopApp } from './desktop-harness.js';

vi.mock('electron-store', async () => (await import('../electron/fake-electron.js')).electronStoreModule());

describe.skipIf(skipReason !== null)(`desktop first run in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let browser: Browser;
  const apps: DesktopApp[] = [];
  let c: TestCluster | undefined;

  beforeAll(async () => {
    ensureDesktopBuilt();
    browser = await launchDesktopBrowser();
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await c?.close();
    await browser?.close();
  });

  it('create a team: a new key, its invite shown, and a node that founds the team with it', async () => {
    const app = await openDesktop(browser, { nodeId: 'd-create', settings: { user: 'carol', clusterId: 'created', discoveryPort: await freeUdpPort() } });
    apps.push(app);
    const { page } = app;
    await page.locator('[data-test="choose-create"]').click();
    const invite = page.locator('[data-test="team-invite"]');
    await invite.waitFor();
    const text = await invite.inputValue();
    expect(text).toMatch(/^pb1:created:[A-Za-z0-9_-]{16,}$/);
    await shot(page, 'first-run-create');
    expect(app.core.host.current()).toBeNull(); // nothing runs before the user confirms
    await page.getByRole('button', { name: 'Start the team' }).click();
    await page.locator('[data-test="link-state"]').waitFor({ timeout: 15_000 });
    const node = await waitFor('the node runs', () => app.core.host.current(), 15_000);
    const key = text.slice('pb1:created:'.length);
    expect(node.config.clusterKey).toBe(key);
    expect(node.config.user).toBe('carol');
    await waitFor('it founds the team (master)', () => app.node().raft.role === 'master', 15_000);
    // the node's own invite carries the same team and key (and its discovery address)
    expect(app.node().invite().invite?.startsWith(`${text}@`)).toBe(true);
    await page.getByText('No servers', { exact: false }).first().waitFor({ timeout: 10_000 }).catch(() => undefined);
    await shot(page, 'first-run-created-board');
    expect(app.errors).toEqual([]);
  });

  it('join a team with a key: the pasted invite starts a node that joins a running cluster (1 -> 3 voters)', async () => {
    c = await TestCluster.create();
    await c.add('j1');
    await c.add('j2');
    // one voter and one observer: the voter set grows 1 -> 3 once two candidates are ready
    await c.settled();
    const app = await openDesktop(browser, { nodeId: 'd-join', settings: { user: 'dave', clusterId: 'peerboard', discoveryPort: c.discoveryPort } });
    apps.push(app);
    const { page } = app;
    await page.locator('[data-test="choose-join"]').click();
    const box = page.locator('[data-test="join-invite"]');
    // a wrong paste is refused with a clear message before anything starts
    await box.fill('hello there');
    await page.getByRole('button', { name: 'Join the team' }).click();
    await page.locator('[data-test="first-run-error"]').waitFor();
    expect(app.core.host.current()).toBeNull();
    await box.fill(formatInvite({ clusterId: 'test', key: TEST_CLUSTER_KEY }));
    await page.getByLabel('Your name, as teammates will see it').fill('dave');
    await shot(page, 'first-run-join');
    await page.getByRole('button', { name: 'Join the team' }).click();
    await waitFor('the app node runs', () => app.core.host.current(), 15_000);
    expect(app.node().config).toMatchObject({ clusterId: 'test', clusterKey: TEST_CLUSTER_KEY, user: 'dave' });
    await waitFor('three voters, the app node among them', () => {
      const v = c!.master()?.node.raft.config?.voters.map((x) => x.nodeId) ?? [];
      return v.length === 3 && v.includes('d-join');
    }, 20_000);
    await page.locator('[data-test="link-state"]').waitFor({ timeout: 15_000 });
    await shot(page, 'first-run-joined');
    expect(app.errors).toEqual([]);
  });
});
