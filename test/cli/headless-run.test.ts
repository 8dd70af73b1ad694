// Headless mode's life cycle: start, log where it listens, graceful stop on a signal, a second
// signal forcing exit 1, and one clear line with exit 1 (or 2) when the node cannot start.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import type { NodeHandle } from '../../node-core/src/api/node-handle.js';
import { ConfigError, StorageError } from '../../node-core/src/errors.js';
import { silentLogger } from '../../node-core/src/log.js';
import { runHeadless, type HeadlessDeps, type StartHttp } from '../../node-core/src/headless/run.js';
import { SettingsStore } from '../../node-core/src/headless/settings-store.js';
import { cleanEnv, MAIN_TS, REPO, runCli, tempDir, waitFor } from './helpers.js';

const dirs: string[] = [];
function dir(): string {
  const d = tempDir('pb-run-');
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Harness {
  deps: HeadlessDeps;
  calls: string[];
  signal: (s: string) => void;
  forced: number[];
  err: () => string;
}

/** runHeadless with a fake node and HTTP layer that record what is done to them. */
function harness(over: Partial<{ createNode: () => Promise<NodeHandle>; startHttp: StartHttp; stop: () => Promise<void> }> = {}): Harness {
  const calls: string[] = [];
  const forced: number[] = [];
  let handler: ((s: string) => void) | undefined;
  let err = '';
  const fakeNode = { nodeId: 'node-a', events: new EventEmitter(), stop: over.stop ?? (async () => void calls.push('node.stop')) } as unknown as NodeHandle;
  const deps: HeadlessDeps = {
    env: {},
    io: { out: () => undefined, err: (t) => void (err += t) },
    store: new SettingsStore({ dir: dir() }),
    logger: () => silentLogger(),
    load: async () => ({
      createNode: async (input) => {
        calls.push(`createNode apiPort=${input.apiPort}`);
        return over.createNode ? over.createNode() : fakeNode;
      },
      startHttp:
        over.startHttp ??
        (async () => {
          calls.push('startHttp');
          return { apiPort: 1, uiPort: null, apiUrl: 'http://127.0.0.1:1', close: async () => void calls.push('http.close') };
        }),
    }),
    onSignal: (h) => {
      handler = h;
      return () => {
        calls.push('unsubscribe');
        handler = undefined;
      };
    },
    forceExit: (c) => void forced.push(c),
  };
  return {
    deps,
    calls,
    forced,
    err: () => err,
    signal: (s) => {
      if (!handler) throw new Error('no signal handler installed');
      handler(s);
    },
  };
}

describe('runHeadless with a fake node', () => {
  it('starts with the resolved config and stops gracefully on the first signal (exit 0)', async () => {
    const h = harness();
    const done = runHeadless(['--headless', '--api-port', '9555'], h.deps);
    await waitFor(() => h.calls.includes('startHttp'), 'start');
    expect(h.calls).toEqual(['createNode apiPort=9555', 'startHttp']);
    h.signal('SIGTERM');
    expect(await done).toBe(0);
    expect(h.calls).toEqual(['createNode apiPort=9555', 'startHttp', 'node.stop', 'http.close', 'unsubscribe']);
    expect(h.forced).toEqual([]);
  });

  it('a second signal while stopping forces exit 1', async () => {
    let release: () => void = () => undefined;
    const h = harness({ stop: () => new Promise<void>((r) => (release = r)) });
    h.deps.duplicateSignalMs = 20;
    const done = runHeadless(['--headless'], h.deps);
    await waitFor(() => h.calls.includes('startHttp'), 'start');
    h.signal('SIGINT');
    const first = performance.now();
    await waitFor(() => performance.now() - first > 30, 'past the duplicate window');
    h.signal('SIGINT');
    expect(await done).toBe(1);
    expect(h.forced).toEqual([1]);
    release();
  });

  it('the same signal twice at once (Ctrl-C reaching npm and the node) still stops gracefully', async () => {
    let release: () => void = () => undefined;
    const h = harness({ stop: () => new Promise<void>((r) => (release = r)) });
    const done = runHeadless(['--headless'], h.deps);
    await waitFor(() => h.calls.includes('startHttp'), 'start');
    h.signal('SIGINT');
    h.signal('SIGINT');
    expect(h.forced).toEqual([]);
    release();
    expect(await done).toBe(0);
    expect(h.calls).toContain('http.close');
  });

  it('a stop that hangs past the deadline ends with exit 1', async () => {
    const h = harness({ stop: () => new Promise<void>(() => undefined) });
    h.deps.stopDeadlineMs = 50;
    const done = runHeadless(['--headless'], h.deps);
    await waitFor(() => h.calls.includes('startHttp'), 'start');
    h.signal('SIGTERM');
    expect(await done).toBe(1);
  });

  it('a StorageError at start is one line and exit 1', async () => {
    const h = harness({ createNode: () => Promise.reject(new StorageError('/data/peerboard.db is not a Peerboard database')) });
    expect(await runHeadless(['--headless'], h.deps)).toBe(1);
    expect(h.err()).toBe('peerboard: cannot start: /data/peerboard.db is not a Peerboard database\n');
  });

  it('a ConfigError from the node is exit 2', async () => {
    const h = harness({ createNode: () => Promise.reject(new ConfigError('invalid configuration: advertiseIP: not an address')) });
    expect(await runHeadless(['--headless'], h.deps)).toBe(2);
    expect(h.err()).toBe('peerboard: invalid configuration: advertiseIP: not an address\n');
  });

  it('a port in use (a real EADDRINUSE) is one line and exit 1, and the started node is stopped', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    const h = harness({
      startHttp: async () => {
        const s = createServer();
        await new Promise<void>((ok, fail) => {
          s.once('error', fail);
          s.listen(port, '127.0.0.1', ok);
        });
        throw new Error('unreachable: the port was free');
      },
    });
    try {
      expect(await runHeadless(['--headless'], h.deps)).toBe(1);
    } finally {
      busy.close();
    }
    expect(h.err()).toMatch(new RegExp(`^peerboard: cannot start: address already in use \\(127\\.0\\.0\\.1:${port}\\); .*--api-port.*\\n$`));
    expect(h.calls).toContain('node.stop');
  });
});

// The real node (node.ts + http/index.ts), as a server host runs it, on loopback only.
const haveNode = existsSync(join(REPO, 'node-core/src/node.ts')) && existsSync(join(REPO, 'node-core/src/http/index.ts'));
const loopbackFlags = (data: string): string[] => [
  '--headless', '--data-dir', data, '--api-port', '0', '--ui-port', '-1', '--peer-port', '0', '--discovery-port', '0',
  '--broadcast-address', '127.255.255.255', '--peer-bind-address', '127.0.0.1', '--advertise-ip', '127.0.0.1',
  '--discovery-window-ms', '100', '--frontend-url', '',
];

describe.skipIf(!haveNode)('a real headless node (skipped while node.ts or http/index.ts is absent)', () => {
  it('logs its id, ports and cluster, answers the CLI, and exits 0 on SIGTERM', async () => {
    const d = dir();
    const env = cleanEnv({ PEERBOARD_SETTINGS_DIR: d, PEERBOARD_CLUSTER_ID: 'cli-test' });
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN_TS, ...loopbackFlags(join(d, 'data'))], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    try {
      await waitFor(() => out.includes('peerboard node started'), 'the start log line', 20_000);
      const line = out.split('\n').find((l) => l.includes('peerboard node started'))!;
      const started = JSON.parse(line) as { nodeId: string; clusterId: string; apiPort: number; apiUrl: string };
      expect(started.clusterId).toBe('cli-test');
      expect(started.nodeId).toMatch(/\S/);
      expect(started.apiPort).toBeGreaterThan(0);
      const status = await runCli(['status', '--json', '--node', started.apiUrl], env);
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ nodeId: started.nodeId, clusterId: 'cli-test' });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toMatch(/"msg":"stopped"/);
      expect(err).toBe('');
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  });

  it('a data directory holding a foreign database: one line, exit 1', async () => {
    const d = dir();
    const data = join(d, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'peerboard.db'), 'this is not an SQLite database, just text '.repeat(100));
    const r = await runCli(loopbackFlags(data), cleanEnv({ PEERBOARD_SETTINGS_DIR: d }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^peerboard: cannot start: .+\n$/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
