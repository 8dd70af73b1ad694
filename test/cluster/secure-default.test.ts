// Secure by default (issue 9), with real sockets and SQLite: a node started with no key and no
// openCluster founds a team with a key it creates and keeps; a second default node hears that team,
// does not found one of its own and waits for the invite; with the invite it joins.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeConfigInput } from '../../node-core/src/config.js';
import { silentLogger } from '../../node-core/src/log.js';
import { createNode, type PeerNode } from '../../node-core/src/node.js';
import { FAST, freeUdpPort, waitFor } from './cluster-helpers.js';

describe('secure by default (issue 9)', () => {
  const nodes: PeerNode[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.stop().catch(() => undefined);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function start(name: string, port: number, dir: string, extra: Partial<NodeConfigInput> = {}): Promise<PeerNode> {
    // deliberately no clusterKey and no openCluster: the defaults under test
    const n = await createNode(
      { clusterId: 'secure', nodeId: name, dataDir: dir, broadcastAddress: '127.255.255.255', advertiseIP: '127.0.0.1', discoveryPort: port, peerPort: 0, apiPort: 0, uiPort: -1, frontendUrl: '', selfRegister: false, logLevel: 'silent', ...FAST, ...extra },
      { logger: silentLogger() },
    );
    nodes.push(n);
    return n;
  }
  const tmp = (name: string) => {
    const d = mkdtempSync(join(tmpdir(), `pb-sec-${name}-`));
    dirs.push(d);
    return d;
  };

  it('the first default node founds a keyed team and keeps its key; a second default node waits for the invite, then joins with it', async () => {
    const port = await freeUdpPort();
    const dirA = tmp('a');
    const a = await start('a', port, dirA);
    await waitFor('a founded a team', () => a.raft.role === 'master' && a.raft.masterReady(), 8000);
    expect(a.health().security).toBe('keyed');
    const keyFile = join(dirA, 'cluster.key');
    expect(existsSync(keyFile)).toBe(true);
    const invite = a.invite().invite!;
    expect(invite).toMatch(/^pb1:secure:[A-Za-z0-9_-]{43}@127\.0\.0\.1:\d+$/);
    expect(invite).toContain(readFileSync(keyFile, 'utf8').trim());

    const b = await start('b', port, tmp('b'));
    await waitFor('b heard a keyed team and waits', () => b.health().waitingForInvite === true, 5000);
    // it never founds a team of its own, however long it listens
    const until = Date.now() + 4 * 300 + 500;
    await waitFor('discovery windows passed', () => Date.now() > until, 5000);
    expect(b.raft.config).toBeNull();
    expect(b.raft.role).not.toBe('master');
    expect(b.health().security).toBe('pending');
    expect(a.raft.config?.voters.map((v) => v.nodeId)).toEqual(['a']);
    await b.stop();

    const b2 = await start('b2', port, tmp('b2'), { invite });
    await waitFor('b2 joined a\'s team', () => b2.raft.leaderId === 'a' && b2.raft.commitIndex > 0, 8000);
    expect(b2.health().security).toBe('keyed');
  });

  it('a founder restarted with default settings runs with the key it kept', async () => {
    const port = await freeUdpPort();
    const dir = tmp('r');
    const a = await start('r', port, dir);
    await waitFor('founded', () => a.raft.role === 'master', 8000);
    const invite = a.invite().invite;
    await a.stop();
    nodes.splice(0);
    const again = await start('r', port, dir);
    expect(again.health().security).toBe('keyed');
    expect(again.invite().invite).toBe(invite);
    await waitFor('master again', () => again.raft.role === 'master', 8000);
  });

  it('an explicitly open cluster runs without a key and says so', async () => {
    const port = await freeUdpPort();
    const a = await start('o', port, tmp('o'), { openCluster: true });
    await waitFor('founded', () => a.raft.role === 'master', 8000);
    expect(a.health().security).toBe('open');
    expect(a.invite()).toMatchObject({ open: true, invite: null });
  });
});
