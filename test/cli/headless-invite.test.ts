// Headless mode tells the operator how teammates join: one invite line on stdout (not in the JSON
// log) when the node has a key, also when the node founds a team later ('invite' event); a plain
// warning line and a pino warn in an open cluster. With fakes, then with the real node.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { NodeHandle } from '../../node-core/src/api/node-handle.js';
import type { InviteInfo, PeerEvent } from '../../node-core/src/api/peer-api.js';
import { inviteLine, OPEN_CLUSTER_WARNING, runHeadless, type HeadlessDeps } from '../../node-core/src/headless/run.js';
import { SettingsStore } from '../../node-core/src/headless/settings-store.js';
import { generateClusterKey } from '../../node-core/src/security/cluster-key.js';
import { parseInvite } from '../../node-core/src/security/invite.js';
import { cleanEnv, MAIN_TS, REPO, tempDir, waitFor } from './helpers.js';

const dirs: string[] = [];
function dir(): string {
  const d = tempDir('pb-inv-');
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const KEY = generateClusterKey();
const INVITE = `pb1:team:${KEY}`;

function harness(info: InviteInfo) {
  let out = '';
  const logs: Array<{ level: number; msg: string }> = [];
  let signal: ((s: string) => void) | undefined;
  const events = new EventEmitter<{ event: [PeerEvent] }>();
  const node = { nodeId: 'node-a', events, invite: () => info, stop: async () => undefined } as unknown as NodeHandle;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) logs.push(JSON.parse(l) as { level: number; msg: string });
      cb();
    },
  });
  const deps: HeadlessDeps = {
    env: {},
    io: { out: (t) => void (out += t), err: () => undefined },
    store: new SettingsStore({ dir: dir() }),
    logger: () => pino({ level: 'info' }, sink),
    load: async () => ({
      createNode: async () => node,
      startHttp: async () => ({ apiPort: 1, uiPort: null, apiUrl: 'http://127.0.0.1:1', close: async () => undefined }),
    }),
    onSignal: (h) => {
      signal = h;
      return () => undefined;
    },
  };
  return { deps, events, out: () => out, logs, stop: () => signal?.('SIGTERM') };
}

describe('headless invite line (fake node)', () => {
  it('prints one invite line at start when the node has a key, not into the log', async () => {
    const h = harness({ clusterId: 'team', open: false, invite: INVITE, peers: [] });
    const done = runHeadless(['--headless'], h.deps);
    await waitFor(() => h.out() !== '', 'the invite line');
    h.stop();
    expect(await done).toBe(0);
    expect(h.out()).toBe(`Peerboard team invite (share it only with your team): peerboard join ${INVITE}\n`);
    expect(JSON.stringify(h.logs)).not.toContain(KEY);
  });

  it('prints the invite when the node founds a team later (invite event), once per invite', async () => {
    const h = harness({ clusterId: 'team', open: false, invite: null, peers: [] });
    const done = runHeadless(['--headless'], h.deps);
    await waitFor(() => h.events.listenerCount('event') > 0, 'listening');
    expect(h.out()).toBe('');
    h.events.emit('event', { type: 'invite', invite: INVITE });
    h.events.emit('event', { type: 'invite', invite: INVITE });
    h.events.emit('event', { type: 'role', role: 'master', ip: '127.0.0.1', nodeId: 'node-a', term: 1 });
    expect(h.out()).toBe(inviteLine(INVITE));
    h.stop();
    expect(await done).toBe(0);
    expect(h.events.listenerCount('event')).toBe(0);
  });

  it('in an open cluster prints the warning line and logs a warning', async () => {
    const h = harness({ clusterId: 'team', open: true, invite: null, peers: [] });
    const done = runHeadless(['--headless'], h.deps);
    await waitFor(() => h.out() !== '', 'the warning');
    h.stop();
    expect(await done).toBe(0);
    expect(h.out()).toBe(`${OPEN_CLUSTER_WARNING}\n`);
    expect(OPEN_CLUSTER_WARNING).toBe('WARNING: open cluster: anyone on this network can change the board (--open-cluster)');
    expect(h.logs.some((l) => l.level === 40 && /open cluster: anyone on this network can change the board/.test(l.msg))).toBe(true);
  });
});

const haveNode = existsSync(join(REPO, 'node-core/src/node.ts'));
const loopbackFlags = (data: string): string[] => [
  '--headless', '--data-dir', data, '--api-port', '0', '--ui-port', '-1', '--peer-port', '0', '--discovery-port', '0',
  '--broadcast-address', '127.255.255.255', '--peer-bind-address', '127.0.0.1', '--advertise-ip', '127.0.0.1',
  '--discovery-window-ms', '100', '--frontend-url', '',
];

/** Runs a real headless node until `until(stdout)` holds, then stops it with SIGTERM. */
async function realNode(args: string[], env: NodeJS.ProcessEnv, until: (out: string) => boolean): Promise<{ out: string; code: number | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN_TS, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  try {
    await waitFor(() => until(out), 'the expected output', 20_000);
    child.kill('SIGTERM');
    return { out, code: await exited };
  } finally {
    clearTimeout(killer);
    child.kill('SIGKILL');
  }
}

describe.skipIf(!haveNode)('a real headless node prints how to join', () => {
  it('with a key: one invite line with the key and the node address; the log never holds the key', async () => {
    const d = dir();
    const env = cleanEnv({ PEERBOARD_SETTINGS_DIR: d, PEERBOARD_CLUSTER_ID: 'inv-test', PEERBOARD_CLUSTER_KEY: KEY });
    const { out, code } = await realNode(loopbackFlags(join(d, 'data')), env, (o) => o.includes('Peerboard team invite'));
    expect(code).toBe(0);
    const lines = out.split('\n').filter((l) => l.startsWith('Peerboard team invite'));
    expect(lines).toHaveLength(1);
    const invite = lines[0]!.split('peerboard join ')[1]!;
    expect(parseInvite(invite)).toMatchObject({ clusterId: 'inv-test', key: KEY });
    // every other line is the JSON log, and none of it carries the key
    const logLines = out.split('\n').filter((l) => l !== '' && !l.startsWith('Peerboard team invite'));
    for (const l of logLines) expect(() => JSON.parse(l)).not.toThrow();
    expect(logLines.join('\n')).not.toContain(KEY);
  });

  it('with --open-cluster: the warning line and a warn log line', async () => {
    const d = dir();
    const env = cleanEnv({ PEERBOARD_SETTINGS_DIR: d });
    const { out, code } = await realNode([...loopbackFlags(join(d, 'data')), '--open-cluster'], env, (o) => o.includes('"msg":"peerboard node started"') && o.includes(OPEN_CLUSTER_WARNING));
    expect(code).toBe(0);
    expect(out.split('\n').filter((l) => l === OPEN_CLUSTER_WARNING)).toHaveLength(1);
    expect(out).toMatch(/"level":40[^\n]*open cluster: anyone on this network can change the board/);
  });
});
