// node-host.ts: the NodeConfigInput built from settings (checked by node-core's own parseConfig),
// start/restart/stop of the node and its HTTP ports, and events forwarded to the window.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PeerEvent } from '../../node-core/src/api/peer-api.js';
import { parseConfig } from '../../node-core/src/config.js';
import { ConfigError } from '../../node-core/src/errors.js';
import { silentLogger } from '../../node-core/src/log.js';
import { buildNodeConfig, NodeHost, type NodeFactory } from '../../electron/node-host.js';
import { defaultSettings } from '../../electron/settings-schema.js';
import { FakeNode } from './fake-node.js';

const USER_DATA = '/home/alice/.config/Peerboard';

function harness(opts: { failStart?: unknown } = {}) {
  const nodes: FakeNode[] = [];
  const inputs: unknown[] = [];
  const https: Array<{ closed: number; onUpdateRole: (b: unknown) => void }> = [];
  const sent: PeerEvent[] = [];
  const views: unknown[] = [];
  let failStart = opts.failStart;
  const factory: NodeFactory = {
    async createNode(input) {
      inputs.push(input);
      if (failStart) {
        const e = failStart;
        failStart = undefined;
        throw e;
      }
      const n = new FakeNode();
      nodes.push(n);
      return n.asHandle();
    },
    async startHttp(_node, o) {
      const h = { closed: 0, onUpdateRole: o.onUpdateRole };
      https.push(h);
      return { close: async () => void h.closed++ };
    },
  };
  const host = new NodeHost({ factory, logger: silentLogger(), userDataDir: USER_DATA, send: (e) => sent.push(e), onView: (v) => views.push(v) });
  return { host, nodes, inputs, https, sent, views };
}

describe('buildNodeConfig', () => {
  it('makes a non-headless node with the settings, data under userData and no empty key', () => {
    const input = buildNodeConfig({ ...defaultSettings(), user: 'alice', clusterId: 'team-a' }, USER_DATA);
    expect(input).toEqual({
      headless: false,
      user: 'alice',
      clusterId: 'team-a',
      apiPort: 8777,
      uiPort: 8778,
      discoveryPort: 8779,
      peerPort: 8780,
      dataDir: join(USER_DATA, 'node-data'),
      frontendUrl: 'http://127.0.0.1:8778',
    });
    expect(input).not.toHaveProperty('clusterKey');
    // node-core accepts it as is
    expect(parseConfig(input)).toMatchObject({ headless: false, user: 'alice', clusterId: 'team-a', apiPort: 8777 });
  });

  it('passes a key, a chosen data directory and other ports; no /updateRole target without a UI port', () => {
    const input = buildNodeConfig({ ...defaultSettings(), clusterKey: 'k'.repeat(32), dataDir: '/data/pb', apiPort: 9001, uiPort: -1, discoveryPort: 9003, peerPort: 9004 }, USER_DATA);
    expect(input).toMatchObject({ clusterKey: 'k'.repeat(32), dataDir: '/data/pb', apiPort: 9001, uiPort: -1, discoveryPort: 9003, peerPort: 9004, frontendUrl: '' });
    expect(parseConfig(input).clusterKey).toBe('k'.repeat(32));
  });

  it('passes an open team as openCluster (no key) and an invite\'s peers as staticPeers', () => {
    const open = buildNodeConfig({ ...defaultSettings(), openCluster: true }, USER_DATA);
    expect(open).toMatchObject({ openCluster: true });
    expect(open).not.toHaveProperty('clusterKey');
    expect(parseConfig(open).openCluster).toBe(true);
    const joined = buildNodeConfig({ ...defaultSettings(), clusterKey: 'k'.repeat(43), staticPeers: ['10.0.0.5:8779'] }, USER_DATA);
    expect(parseConfig(joined)).toMatchObject({ clusterKey: 'k'.repeat(43), staticPeers: ['10.0.0.5:8779'], openCluster: false });
    expect(buildNodeConfig(defaultSettings(), USER_DATA)).not.toHaveProperty('openCluster');
  });
});

describe('NodeHost', () => {
  it('starts the node and its HTTP ports, and forwards node events and views', async () => {
    const t = harness();
    expect(() => t.host.require()).toThrow(/not running/);
    await t.host.start(defaultSettings());
    expect(t.host.current()).toBe(t.nodes[0]);
    const change: PeerEvent = { type: 'change', index: 3, request: null };
    t.nodes[0]!.events.emit('event', change);
    expect(t.sent).toEqual([change]);
    expect(t.views.length).toBeGreaterThanOrEqual(2); // once at start, once per event
  });

  it('forwards /updateRole bodies as role events, once per change, and ignores malformed ones', async () => {
    const t = harness();
    await t.host.start(defaultSettings());
    const onUpdateRole = t.https[0]!.onUpdateRole;
    onUpdateRole({ role: 'master', ip: '192.168.0.12' });
    onUpdateRole({ role: 'master', ip: '192.168.0.12' }); // the node's own post of the same change
    t.nodes[0]!.events.emit('event', { type: 'role', role: 'master', ip: '192.168.0.12', nodeId: 'n1', term: 1 });
    onUpdateRole({ role: 'king', ip: 'x' });
    onUpdateRole('garbage');
    onUpdateRole({ role: 'slave', ip: '192.168.0.12' });
    expect(t.sent).toEqual([
      { type: 'role', role: 'master', ip: '192.168.0.12', nodeId: 'n1', term: 1 },
      { type: 'role', role: 'slave', ip: '192.168.0.12', nodeId: 'n1', term: 1 },
    ]);
  });

  it('restarts only when the settings change the node configuration', async () => {
    const t = harness();
    const s = defaultSettings();
    await t.host.start(s);
    expect(await t.host.applySettings({ ...s, startMinimized: true, onboarded: true })).toBe(false);
    expect(t.nodes).toHaveLength(1);
    expect(await t.host.applySettings({ ...s, clusterId: 'team-b' })).toBe(true);
    expect(t.nodes).toHaveLength(2);
    expect(t.nodes[0]!.stopped).toBe(1);
    expect(t.https[0]!.closed).toBe(1);
    expect(t.host.current()).toBe(t.nodes[1]);
    // the old node's events no longer reach the window
    t.nodes[0]!.events.emit('event', { type: 'change', index: 1, request: null });
    expect(t.sent).toEqual([]);
  });

  it('serialises concurrent restarts: one node runs at the end, every other one is stopped', async () => {
    const t = harness();
    await Promise.all([1, 2, 3, 4].map((i) => t.host.applySettings({ ...defaultSettings(), apiPort: 9000 + i })));
    expect(t.nodes.filter((n) => n.stopped === 0)).toHaveLength(1);
    expect(t.host.current()).toBe(t.nodes.at(-1));
    expect((t.inputs.at(-1) as { apiPort: number }).apiPort).toBe(9004);
  });

  it('a failed start is kept as the reason and reported by require(); a later start recovers', async () => {
    const t = harness({ failStart: new ConfigError('invalid configuration: clusterKey: at least 16 characters') });
    await expect(t.host.start(defaultSettings())).rejects.toMatchObject({ code: 'CONFIG_ERROR' });
    expect(() => t.host.require()).toThrow(/not running: invalid configuration: clusterKey/);
    await t.host.start(defaultSettings());
    expect(t.host.require()).toBe(t.nodes[0]);
    expect(t.host.lastError()).toBeNull();
  });

  it('stop closes HTTP and leaves gracefully, and is safe to repeat', async () => {
    const t = harness();
    await t.host.start(defaultSettings());
    await t.host.stop();
    await t.host.stop();
    expect(t.nodes[0]!.stopped).toBe(1);
    expect(t.https[0]!.closed).toBe(1);
    expect(t.host.current()).toBeNull();
  });
});
