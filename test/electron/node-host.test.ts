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
  const https: Array<{ closed: number; opts: object }> = [];
  const sent: PeerEvent[] = [];
  const updates: string[] = [];
  let views = 0;
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
    async startHttp(node, o) {
      // count whole-board copies: the host must not make one per event
      const real = node.view.bind(node);
      node.view = () => {
        views++;
        return real();
      };
      const h = { closed: 0, opts: o };
      https.push(h);
      return { close: async () => void h.closed++ };
    },
  };
  const host = new NodeHost({ factory, logger: silentLogger(), userDataDir: USER_DATA, send: (e) => sent.push(e), onBoard: (_m, u) => void updates.push(u.kind) });
  return { host, nodes, inputs, https, sent, updates, views: () => views };
}

describe('buildNodeConfig', () => {
  it('passes the monitoring opt-in (setting `monitor`) to the node; node-core accepts it', () => {
    expect(buildNodeConfig({ ...defaultSettings(), monitor: true }, USER_DATA).monitor).toBe(true);
    expect(parseConfig(buildNodeConfig({ ...defaultSettings(), monitor: true }, USER_DATA)).monitor).toBe(true);
    // settings saved before the setting existed have none: off
    const { monitor: _m, ...old } = defaultSettings();
    expect(buildNodeConfig(old, USER_DATA).monitor).toBe(false);
  });

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
      // a desktop node runs no monitoring checks until the user opts in (issue 12)
      monitor: false,
      // role changes reach the app as node events, never through a POST to its own /updateRole
      frontendUrl: '',
    });
    expect(input).not.toHaveProperty('clusterKey');
    // node-core accepts it as is
    expect(parseConfig(input)).toMatchObject({ headless: false, user: 'alice', clusterId: 'team-a', apiPort: 8777 });
  });

  it('passes a key, a chosen data directory and other ports', () => {
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
  it('starts the node and its HTTP ports, forwards node events, and copies the board once, not per event', async () => {
    const t = harness();
    expect(() => t.host.require()).toThrow(/not running/);
    await t.host.start(defaultSettings());
    expect(t.host.current()).toBe(t.nodes[0]);
    const node = t.nodes[0]!;
    const row = { ...node.servers.get('web-1')!, holder: 'alice', until: 2_000_000_000, available: false };
    const change: PeerEvent = { type: 'change', index: 3, request: null, rows: [row], removed: [], lastUpdate: 5 };
    for (let i = 0; i < 20; i++) node.events.emit('event', { ...change, index: 3 + i });
    node.events.emit('event', { type: 'change', index: 30, request: null, rows: [], removed: [] }); // presence: nothing shown changed
    expect(t.sent).toHaveLength(21);
    expect(t.sent[0]).toEqual(change);
    expect(t.views()).toBe(1); // at start only
    expect(t.host.mirror.row('web-1')?.holder).toBe('alice');
    expect(t.updates).toEqual(['full', ...Array(20).fill('rows')]);
    // a change that does not name its rows (an older node, a big import): one whole view
    node.events.emit('event', { type: 'change', index: 31, request: null });
    node.events.emit('event', { type: 'change', index: 32, request: null, full: true });
    expect(t.views()).toBe(3);
    node.events.emit('event', { type: 'change', index: 33, request: null, rows: [], removed: ['web-1'] });
    expect(t.host.mirror.row('web-1')).toBeUndefined();
  });

  it('takes role changes from node events only: the HTTP frontend gets no /updateRole callback', async () => {
    const t = harness();
    await t.host.start(defaultSettings());
    expect(t.https[0]!.opts).not.toHaveProperty('onUpdateRole');
    t.nodes[0]!.events.emit('event', { type: 'role', role: 'master', ip: '192.168.0.12', nodeId: 'n1', term: 2 });
    expect(t.sent).toEqual([{ type: 'role', role: 'master', ip: '192.168.0.12', nodeId: 'n1', term: 2 }]);
    expect(t.host.mirror.status?.self).toMatchObject({ role: 'master', term: 2 });
    expect(t.updates.at(-1)).toBe('status');
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
