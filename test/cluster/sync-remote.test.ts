// The remote instance end to end: a RemoteInstance pointed at a FOLLOWER of a real 2-node cluster follows
// it to the primary, registers with the team key, fetches the checks, probes a real HTTP target on
// 127.0.0.1 with the node's probes and pushes results; the master's verdict follows the target (UP, DOWN).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteInstance } from '../../node-core/src/monitoring/remote-instance.js';
import { TEST_CLUSTER_KEY } from '../test-key.js';
import { TestCluster, waitFor, type TestNode } from './cluster-helpers.js';

describe('remote instance against a real cluster and a real HTTP target', () => {
  let cluster: TestCluster;
  let master: TestNode;
  let follower: TestNode;
  let target: Server;
  let targetUp = true;
  let hits = 0;
  const remotes: RemoteInstance[] = [];

  beforeAll(async () => {
    target = createServer((_req, res) => {
      hits++;
      res.writeHead(targetUp ? 200 : 503, { 'content-type': 'text/plain' }).end(targetUp ? 'ok' : 'down');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    // the cluster's own nodes run no checks here: only the remote instance's results may decide
    cluster = await TestCluster.create({ monitor: false });
    for (const n of ['m1', 'm2']) await cluster.add(n);
    master = await cluster.settled(20_000);
    follower = cluster.nodes.find((n) => n !== master)!;
  }, 40_000);
  afterAll(async () => {
    for (const r of remotes) r.stop();
    await cluster?.close();
    await new Promise((r) => target?.close(r));
  });

  it('follows the primary, probes, and its results decide the verdict', async () => {
    const port = (target.address() as { port: number }).port;
    const res = await master.node.submit(
      { type: 'check-add', check: { name: 'web', type: 'http', target: `http://127.0.0.1:${port}/health`, intervalSec: 5, timeoutMs: 1000, retries: 0 } },
      { user: 'admin', caller: 'admin' },
    );
    const checkId = (res.value as { check: { id: number } }).check.id;
    const remote = new RemoteInstance({ primaries: [follower.api], secret: TEST_CLUSTER_KEY, name: 'eu-west', location: 'EU-West-1', heartbeatMs: 200, damping: 1 });
    remotes.push(remote);
    remote.start();
    const verdict = () => master.node.monitorReader().monitoring().verdicts.get(checkId);
    await waitFor('verdict UP from the remote instance', () => verdict()?.verdict === 'UP', 15_000);
    expect(remote.primary).toBe(master.api);
    expect(remote.counters.followed).toBeGreaterThanOrEqual(1);
    expect(verdict()!.locations).toMatchObject([{ nodeId: 'remote-eu-west', location: 'EU-West-1', status: 'UP' }]);
    expect(hits).toBeGreaterThanOrEqual(1);
    expect(master.node.monitorReader().monitoring().instances.get('remote-eu-west')).toMatchObject({ instanceName: 'eu-west', location: 'EU-West-1' });

    // the target fails; the next round (interval 5 s) is reported at once as a status change
    targetUp = false;
    await waitFor('verdict DOWN from the remote instance', () => verdict()?.verdict === 'DOWN', 15_000);
    expect(verdict()!.locations[0]).toMatchObject({ status: 'DOWN', error: expect.stringMatching(/^HTTP 503/) });
  }, 40_000);

  it('a wrong secret never registers and backs off', async () => {
    const remote = new RemoteInstance({ primaries: [master.api], secret: 'wrong-secret-wrong-secret', name: 'intruder', heartbeatMs: 200 });
    remotes.push(remote);
    remote.start();
    await waitFor('a few refused registrations', () => remote.counters.registrations === 0 && (remote as unknown as { failures: number }).failures >= 2, 10_000);
    remote.stop();
    expect(master.node.monitorReader().monitoring().instances.has('remote-intruder')).toBe(false);
    // backoff: 0.5 s, then 1 s... so in ~1-2 s only a handful of attempts, not one per 200 ms tick
    expect((remote as unknown as { failures: number }).failures).toBeLessThan(6);
  }, 20_000);

  it('`peerboard remote` runs as a real process, registers, and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-remote-'));
    const secretFile = join(dir, 'secret');
    writeFileSync(secretFile, `${TEST_CLUSTER_KEY}\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'node-core/src/cli/main.ts', 'remote', '--primary', follower.api, '--secret-file', secretFile, '--name', 'cli-site', '--location', 'Lab', '--log-level', 'silent'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await waitFor('the CLI instance registered', () => master.node.monitorReader().monitoring().instances.get('remote-cli-site')?.location === 'Lab', 20_000);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/instance remote-cli-site \(Lab\) reporting to/);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
