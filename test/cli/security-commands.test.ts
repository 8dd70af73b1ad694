// `peerboard invite` against a real HTTP server standing in for a node, and `peerboard join` writing
// the headless settings file (then resolved as a node would at start), with bad invites refused (exit 2).
import { rmSync, statSync } from 'node:fs';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseHeadlessArgs, resolveConfig } from '../../node-core/src/headless/resolve-config.js';
import { SettingsStore } from '../../node-core/src/headless/settings-store.js';
import { generateClusterKey, saveClusterKey } from '../../node-core/src/security/cluster-key.js';
import { cleanEnv, FakeNode, json, runCli, runInProcess, tempDir } from './helpers.js';

const KEY = generateClusterKey();
const INVITE = `pb1:team-q:${KEY}@10.0.0.5:8779`;
const dirs: string[] = [];
function dir(): string {
  const d = tempDir('pb-join-');
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('peerboard invite', () => {
  let node: FakeNode;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    node = await new FakeNode().start();
    env = cleanEnv({ PEERBOARD_NODE: node.url });
  });
  afterEach(() => node.stop());

  it('prints the join command from GET /api/cluster/invite; --json the raw answer; the token is sent', async () => {
    const info = { clusterId: 'team-q', open: false, invite: INVITE, peers: ['10.0.0.5:8779'] };
    node.route('GET /api/cluster/invite', (_q, res) => json(res, 200, info));
    const r = await runInProcess(['invite', '--token', 'admin-token-1'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`  peerboard join ${INVITE}\n`);
    expect(r.stdout).toMatch(/share this invite only with your team/);
    expect(node.requests[0]?.headers.authorization).toBe('Bearer admin-token-1');
    const j = await runInProcess(['invite', '--json'], env);
    expect(JSON.parse(j.stdout)).toEqual(info);
  });

  it('says plainly when the cluster is open, or has no key yet', async () => {
    node.route('GET /api/cluster/invite', (_q, res) => json(res, 200, { clusterId: 'lab', open: true, invite: null, peers: [] }));
    const r = await runInProcess(['invite'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OPEN cluster \(no key\): anyone on this network can change the board/);
    node.route('GET /api/cluster/invite', (_q, res) => json(res, 200, { clusterId: 'lab', open: false, invite: null, peers: [] }));
    expect((await runInProcess(['invite'], env)).stdout).toMatch(/has no key yet/);
  });

  it('a refusal (user token) is exit 1 with the node message; an odd answer is exit 1 too', async () => {
    node.route('GET /api/cluster/invite', (_q, res) =>
      json(res, 403, { success: false, error: 'Forbidden', message: 'this operation needs admin rights; use the admin token', code: 'FORBIDDEN', details: {} }),
    );
    const r = await runInProcess(['invite'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('peerboard: this operation needs admin rights; use the admin token (FORBIDDEN)\n');
    node.route('GET /api/cluster/invite', (_q, res) => json(res, 200, { hello: 'world' }));
    expect((await runInProcess(['invite'], env)).code).toBe(1);
  });
});

describe('peerboard join', () => {
  it('stores clusterId, clusterKey and staticPeers in the settings file (0600), which a node then starts with', async () => {
    const settings = dir();
    const env = cleanEnv({ PEERBOARD_SETTINGS_DIR: settings });
    const r = await runInProcess(['join', `  ${INVITE}\n`], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Joined team "team-q": stored in /);
    expect(r.stdout).toContain('clusterKey = (hidden)');
    expect(r.stdout).not.toContain(KEY);
    expect(r.stdout).toContain('Start the node: npm run headless');
    const store = new SettingsStore({ dir: settings });
    expect(store.all()).toEqual({ clusterId: 'team-q', clusterKey: KEY, staticPeers: ['10.0.0.5:8779'] });
    if (process.platform !== 'win32') expect(statSync(store.path).mode & 0o777).toBe(0o600);
    const resolved = resolveConfig(parseHeadlessArgs(['--headless']), { env, store });
    expect(resolved.config).toMatchObject({ clusterId: 'team-q', clusterKey: KEY, staticPeers: ['10.0.0.5:8779'], openCluster: false });
  });

  it('keeps existing static peers, unsets openCluster and an old invite, and stores --data-dir', async () => {
    const settings = dir();
    const data = dir();
    saveClusterKey(data, generateClusterKey());
    const env = cleanEnv({ PEERBOARD_SETTINGS_DIR: settings });
    const store = new SettingsStore({ dir: settings });
    store.set('staticPeers', '10.0.0.1:8779,10.0.0.5:8779');
    store.set('openCluster', 'true');
    const r = await runInProcess(['join', INVITE, '--data-dir', data, '--json'], env);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ clusterId: 'team-q', staticPeers: ['10.0.0.1:8779', '10.0.0.5:8779'], dataDir: data, unset: ['openCluster'] });
    expect(JSON.stringify(out)).not.toContain(KEY);
    const after = new SettingsStore({ dir: settings }).all();
    expect(after).toEqual({ clusterId: 'team-q', clusterKey: KEY, staticPeers: ['10.0.0.1:8779', '10.0.0.5:8779'], dataDir: data });
    // text mode notes a data directory holding another key
    const again = await runInProcess(['join', INVITE, '--data-dir', data], env);
    expect(again.stdout).toMatch(/cluster\.key holds another key; the invite's key \(in the settings\) takes precedence/);
  });

  it.each([
    ['a bare key', KEY, /must start with "pb1:"/],
    ['a cut-off invite', INVITE.slice(0, 20), /the key must be 16 to 256/],
    ['a bad peer', `pb1:t:${KEY}@nope`, /is not ip:port/],
  ])('refuses %s with exit 2 and one line, storing nothing', async (_what, text, message) => {
    const settings = dir();
    const r = await runInProcess(['join', text], cleanEnv({ PEERBOARD_SETTINGS_DIR: settings }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^peerboard: invalid invite: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(new SettingsStore({ dir: settings }).all()).toEqual({});
  });

  it('works as a real process too (exit 0, then config get shows the team)', async () => {
    const settings = dir();
    const env = cleanEnv({ PEERBOARD_SETTINGS_DIR: settings });
    const r = await runCli(['join', INVITE], env);
    expect(r.code).toBe(0);
    const get = await runCli(['config', 'get', 'clusterId'], env);
    expect(get.stdout).toBe('team-q\n');
  });
});
