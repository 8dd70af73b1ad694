// The loan manager on real loopback sockets with a fake node around it (the board is the real
// applyLoan over in-memory LoansData): a follower names its master to a worker (MASTER_ADDRESS) and the
// worker follows it; a master refuses a worker no loan names; only the borrower ends its loans with
// WORKER_RETURN (a stranger naming the id does not); the admin recall/return refusals.
import { connect, createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { applyLoan, emptyLoans } from '../../../node-core/src/loans/board-loans.js';
import type { FarmLoad, LoanHost, LoanMonitor, LoanSettings } from '../../../node-core/src/loans/loan-context.js';
import { LoanManager } from '../../../node-core/src/loans/loan-manager.js';
import type { LoanCommand, LoansData } from '../../../node-core/src/loans/types.js';
import { silentLogger } from '../../../node-core/src/log.js';
import { waitFor } from '../../cluster/cluster-helpers.js';

const SETTINGS: LoanSettings = { enabled: true, port: 0, bindAddress: '127.0.0.1', neighbours: [], key: undefined, lagMs: 1000, cpu: 0.8, sustainMs: 1000, maxWorkers: 8, leaseMs: 60_000, heartbeatMs: 50, connectMs: 5000 };

class FakeNode {
  data: LoansData = emptyLoans();
  master = true;
  masterAt: string | null = null;
  readonly host: LoanHost;
  constructor(readonly nodeId: string, clusterId: string, candidates: string[] = [], monitor: LoanMonitor | null = null) {
    this.host = {
      nodeId,
      clusterId,
      location: nodeId,
      log: silentLogger(),
      monitor,
      now: () => Date.now(),
      isMaster: () => this.master,
      canPropose: () => this.master,
      masterLoanAddress: () => this.masterAt,
      address: () => '127.0.0.1',
      loans: () => this.data,
      submit: (cmd: LoanCommand) => {
        const r = applyLoan(this.data, cmd, Date.now());
        return r.ok ? Promise.resolve({ value: r.value }) : Promise.reject(new Error(r.error.message));
      },
      homeNodes: () => [nodeId, ...candidates].map((id) => ({ nodeId: id, name: id, alive: true, master: id === nodeId, maintenance: false, lent: false, lendable: true, assigned: 0 })),
    };
  }
}

const managers: LoanManager[] = [];
async function start(n: FakeNode): Promise<LoanManager> {
  const m = new LoanManager(n.host, SETTINGS);
  managers.push(m);
  await m.start();
  return m;
}
afterEach(async () => {
  for (const m of managers.splice(0)) await m.stop();
});

/** raw lines from `from`, the answers (one per line sent that gets one) */
function raw(port: number, lines: string[], from = '127.0.0.1', answers = lines.length): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, localAddress: from });
    const got: Array<Record<string, unknown>> = [];
    let buf = '';
    const done = () => {
      s.destroy();
      resolve(got);
    };
    s.on('data', (d) => {
      buf += d.toString('utf8');
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        got.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
        buf = buf.slice(i + 1);
      }
      if (got.length >= answers) done();
    });
    s.on('error', reject);
    s.write(lines.map((l) => `${l}\n`).join(''));
    if (answers === 0) setTimeout(done, 100);
  });
}

describe('LoanManager', () => {
  it('a follower refuses a worker with MASTER_ADDRESS; the worker goes to that master and is accepted', async () => {
    // farm b: master bm (has the `in` loan) and follower bf (the address the loan names)
    const bm = new FakeNode('bm', 'farm-b');
    const bf = new FakeNode('bf', 'farm-b');
    bf.master = false;
    const mBm = await start(bm);
    const mBf = await start(bf);
    bf.masterAt = `127.0.0.1:${mBm.port}`;
    // a stranger claiming a worker no loan names is refused by the master
    expect(await raw(mBm.port, ['{"WORKER":"ALIVE","WORKER_UUID":"nobody"}'])).toEqual([{ TASK: 'ERROR', REASON: 'no active loan names this worker' }]);
    expect(await raw(mBf.port, ['{"TASK":"WORKER_REQUEST","WORKERS_NEEDED":1}'])).toEqual([{ TASK: 'WORKER_RESPONSE', STATUS: 'NACK', WORKERS: [], REASON: 'not the master of farm farm-b', MASTER_ADDRESS: `127.0.0.1:${mBm.port}` }]);
    expect(await raw(mBf.port, ['{"WORKER":"ALIVE","WORKER_UUID":"w1"}'])).toEqual([{ TASK: 'ERROR', REASON: 'not the master of farm farm-b', MASTER_ADDRESS: `127.0.0.1:${mBm.port}` }]);
    const peerB = { clusterId: 'farm-b', masterId: 'bm', address: '127.0.0.1', loanPort: mBf.port, peerboard: true };
    const peerA = { clusterId: 'farm-a', masterId: 'am', address: '127.0.0.1', loanPort: 1, peerboard: true };
    await bm.host.submit({ type: 'loan-start', loan: { id: 'am:w1:1', direction: 'in', workerId: 'w1', workerName: 'w1', peer: peerA, leaseMs: 60_000 } }, 'x');
    // farm a's worker w1: its home board lends it to farm b at the follower's address
    const w1 = new FakeNode('w1', 'farm-a');
    w1.master = false;
    await w1.host.submit({ type: 'loan-start', loan: { id: 'am:w1:1', direction: 'out', workerId: 'w1', workerName: 'w1', peer: peerB, leaseMs: 60_000 } }, 'y');
    const mW1 = await start(w1);
    await waitFor('w1 connected to farm b\'s master', () => mBm.view().active.find((l) => l.id === 'am:w1:1')?.connected || undefined, 5000);
    expect(mW1.worker.serving()).toEqual({ loanId: 'am:w1:1', connected: true });
    expect(w1.data.active.has('am:w1:1')).toBe(true);
  });

  it('a worker whose borrower does not know its loan ends it refused at home', async () => {
    const bm = new FakeNode('bm', 'farm-b');
    const mBm = await start(bm);
    const w1 = new FakeNode('w1', 'farm-a');
    w1.master = false;
    const peerB = { clusterId: 'farm-b', masterId: 'bm', address: '127.0.0.1', loanPort: mBm.port, peerboard: true };
    await w1.host.submit({ type: 'loan-start', loan: { id: 'am:w1:2', direction: 'out', workerId: 'w1', workerName: null, peer: peerB, leaseMs: 60_000 } }, 'y');
    await start(w1);
    await waitFor('ended refused', () => w1.data.ended.find((l) => l.id === 'am:w1:2' && l.endReason === 'refused'), 5000);
  });

  it('lends on request; only the borrower (by address or cluster) ends the loan with WORKER_RETURN', async () => {
    const lm = new FakeNode('lm', 'farm-l', ['l2']);
    const m = await start(lm);
    const [ack] = await raw(m.port, ['{"TASK":"WORKER_REQUEST","WORKERS_NEEDED":3,"CLUSTER_ID":"farm-x","LOAN_PORT":9}']);
    expect(ack).toMatchObject({ TASK: 'WORKER_RESPONSE', STATUS: 'ACK', MASTER_UUID: 'lm', WORKERS: ['l2'], CLUSTER_ID: 'farm-l' });
    const id = (ack!.LOAN_IDS as string[])[0]!;
    expect(lm.data.active.get(id)?.peer).toEqual({ clusterId: 'farm-x', masterId: null, address: '127.0.0.1', loanPort: 9, peerboard: true });
    // a stranger elsewhere naming the loan (and the worker) changes nothing
    await raw(m.port, [`{"TASK":"WORKER_RETURN","WORKERS":["l2"],"LOAN_IDS":["${id}"],"CLUSTER_ID":"farm-y"}`], '127.0.0.5', 0);
    await raw(m.port, ['{"TASK":"WORKER_RETURN","WORKERS":["l2"]}'], '127.0.0.6', 0);
    expect(lm.data.active.has(id)).toBe(true);
    // the borrower does
    await raw(m.port, [`{"TASK":"WORKER_RETURN","WORKERS":["l2"],"LOAN_IDS":["${id}"]}`], '127.0.0.1', 0);
    await waitFor('returned', () => lm.data.ended.find((l) => l.id === id && l.endReason === 'returned'), 2000);
  });

  it('admin recall and return: unknown ids, the wrong direction and a follower are refused', async () => {
    const lm = new FakeNode('lm', 'farm-l', ['l2']);
    const m = await start(lm);
    await expect(m.recall('nope', 'admin')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const [ack] = await raw(m.port, ['{"TASK":"WORKER_REQUEST","WORKERS_NEEDED":1}']);
    const id = (ack!.LOAN_IDS as string[])[0]!;
    await expect(m.giveBack(id, 'admin')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    lm.master = false;
    await expect(m.recall(id, 'admin')).rejects.toMatchObject({ code: 'NOT_LEADER' });
    lm.master = true;
    await m.recall(id, 'admin');
    expect(lm.data.ended.find((l) => l.id === id)?.endReason).toBe('recalled');
  });

  it('with a loanKey: a neighbour with the same key is up and trusted; an unauthenticated request gets a NACK', async () => {
    const key = 'a-shared-loan-key-0123';
    const a = new FakeNode('am', 'farm-a', ['a2']);
    const ma = new LoanManager(a.host, { ...SETTINGS, key });
    managers.push(ma);
    await ma.start();
    const b = new FakeNode('bm', 'farm-b');
    const mb = new LoanManager(b.host, { ...SETTINGS, key, neighbours: [`127.0.0.1:${ma.port}`] });
    managers.push(mb);
    await mb.start();
    await waitFor('b hears a, trusted', () => mb.view().neighbours.find((n) => n.up && n.trusted && n.clusterId === 'farm-a'), 3000);
    const [nack] = await raw(ma.port, ['{"TASK":"WORKER_REQUEST","WORKERS_NEEDED":1}']);
    expect(nack).toMatchObject({ TASK: 'WORKER_RESPONSE', STATUS: 'NACK', WORKERS: [], REASON: 'authentication required' });
    expect(a.data.active.size).toBe(0);
    // a neighbour with another key is never up
    const c = new FakeNode('cm', 'farm-c');
    const mc = new LoanManager(c.host, { ...SETTINGS, key: 'another-key-entirely-xyz', neighbours: [`127.0.0.1:${ma.port}`] });
    managers.push(mc);
    await mc.start();
    await waitFor('c missed 3 heartbeats', () => (mc.view().counters.heartbeats_missed ?? 0) >= 3 || undefined, 5000);
    expect(mc.view().neighbours[0]).toMatchObject({ up: false, trusted: false });
  });

  it('a lender whose own farm saturates recalls its newest loan and tells the borrower; an admin return tells the lender', async () => {
    // the other farm's master: records every line it gets
    const lines: string[] = [];
    const other = createServer((s) => s.on('data', (d) => lines.push(...d.toString('utf8').split('\n').filter(Boolean))));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    const otherPort = (other.address() as AddressInfo).port;
    let load: FarmLoad = { pool: 3, home: 3, guests: 0, lagP99Ms: 0, cpu: 0, utilisation: 0, needed: 1 };
    const monitor: LoanMonitor = { farmLoad: () => load, attachGuest: () => undefined, detachGuest: () => undefined, ingestGuest: () => undefined, assignedCount: () => 0, runGuest: () => null, localLoad: () => ({ lagP99Ms: 0, cpu: 0, utilisation: 0 }) };
    const lm = new FakeNode('lm', 'farm-l', ['l2', 'l3'], monitor);
    const m = await start(lm);
    try {
      const [ack] = await raw(m.port, [`{"TASK":"WORKER_REQUEST","WORKERS_NEEDED":2,"CLUSTER_ID":"farm-x","LOAN_PORT":${otherPort}}`]);
      // never below its own needs: home 3, needed 1 -> 2 may go
      expect(ack).toMatchObject({ STATUS: 'ACK', WORKERS: ['l2', 'l3'] });
      const [first, second] = ack!.LOAN_IDS as string[];
      load = { ...load, lagP99Ms: 5000 }; // its own checks now lag: after sustainMs it takes one back
      await waitFor('the newest loan recalled', () => lm.data.ended.find((l) => l.endReason === 'recalled'), 5000);
      expect(lm.data.active.size).toBe(1);
      await waitFor('the borrower hears WORKER_RECALL', () => lines.find((l) => l.includes('"WORKER_RECALL"')), 2000);
      const recall = JSON.parse(lines.find((l) => l.includes('"WORKER_RECALL"'))!) as { LOAN_IDS: string[] };
      expect([first, second]).toContain(recall.LOAN_IDS[0]);
      // an admin gives a borrowed worker back: ended returned here, WORKER_RETURN to its lender
      load = { ...load, lagP99Ms: 0 };
      const peer = { clusterId: 'farm-x', masterId: 'xm', address: '127.0.0.1', loanPort: otherPort, peerboard: true };
      await lm.host.submit({ type: 'loan-start', loan: { id: 'xm:x9:1', direction: 'in', workerId: 'x9', workerName: null, peer, leaseMs: 60_000 } }, 'z');
      await m.giveBack('xm:x9:1', 'alice');
      expect(lm.data.ended.find((l) => l.id === 'xm:x9:1')?.endReason).toBe('returned');
      await waitFor('the lender hears WORKER_RETURN', () => lines.find((l) => l.includes('"WORKER_RETURN"') && l.includes('xm:x9:1')), 2000);
    } finally {
      other.close();
    }
  });

  it('a farm with checks but no location left to run them is saturated: it asks its neighbour', async () => {
    const lines: string[] = [];
    const other = createServer((sock) =>
      sock.on('data', (d) => {
        for (const l of d.toString('utf8').split('\n').filter(Boolean)) {
          lines.push(l);
          if (l.includes('"REQUEST"')) sock.write('{"SERVER":"ALIVE","TASK":"RECIEVE"}\n');
          if (l.includes('"WORKER_REQUEST"')) sock.write('{"TASK":"WORKER_RESPONSE","STATUS":"NACK","WORKERS":[]}\n');
        }
      }),
    );
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    const load: FarmLoad = { pool: 0, home: 0, guests: 0, lagP99Ms: 0, cpu: 0, utilisation: 0, needed: 1 };
    const monitor: LoanMonitor = { farmLoad: () => load, attachGuest: () => undefined, detachGuest: () => undefined, ingestGuest: () => undefined, assignedCount: () => 0, runGuest: () => null, localLoad: () => ({ lagP99Ms: 0, cpu: 0, utilisation: 0 }) };
    const a = new FakeNode('am', 'farm-a', [], monitor);
    const m = new LoanManager(a.host, { ...SETTINGS, neighbours: [`127.0.0.1:${(other.address() as AddressInfo).port}`] });
    managers.push(m);
    try {
      await m.start();
      await waitFor('a WORKER_REQUEST', () => lines.find((l) => l.includes('"WORKER_REQUEST"')), 5000);
      // the NACK is read a moment after the request left (under CI load, after the line above saw it)
      await waitFor('the NACK taken', () => (m.view().counters.nacks_received ?? 0) >= 1, 5000);
    } finally {
      other.close();
    }
  });

  it('a loan port in use leaves the node running as a worker only, counted', async () => {
    const a = new FakeNode('a', 'farm-a');
    const ma = await start(a);
    const b = new FakeNode('b', 'farm-b');
    const mb = new LoanManager(b.host, { ...SETTINGS, port: ma.port });
    managers.push(mb);
    await mb.start();
    expect(mb.offline).toMatch(/cannot listen on the loan port/);
    expect(mb.view().counters.port_unavailable).toBe(1);
  });
});
