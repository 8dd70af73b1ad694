// Peerboard farms against FOREIGN masters written here in a few lines of raw JSON over `net`, speaking
// seed 004's fields only (issue 13). As a borrower, the foreign master gets a Peerboard farm's worker,
// which connects to it (address of the request, port 8781) with the exact ALIVE line; the lender's
// policy holds (never the master, a desktop, a node in maintenance, nor a node twice; 0 and a million
// refused); a lease the foreign master stops renewing expires; a lent node going into maintenance is
// recalled. As lenders, one foreign master NACKs (the farm moves on) and one ACKs a worker that never
// connects (the farm ends it lost).
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createServer as createHttp, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeConfigInput } from '../../node-core/src/config.js';
import type { BoardCommand } from '../../node-core/src/board/types.js';
import { api, freeUdpPort, TestCluster, waitFor, type TestNode } from './cluster-helpers.js';

const LOANS: Partial<NodeConfigInput> = { loanPort: 0, loanHeartbeatMs: 200, loanLagMs: 500, loanCpu: 64, loanSustainMs: 1000, loanConnectMs: 1500, loanLeaseMs: 3000 };
const FOREIGN_IP = '127.0.0.77';

/** A seed-only master: answers heartbeats, answers requests with `onRequest`, records every line by connection. */
class ForeignMaster {
  readonly lines: string[] = [];
  readonly workerLines: string[] = [];
  private readonly server: Server;
  private readonly socks = new Set<Socket>();
  port = 0;
  constructor(private readonly onRequest: (msg: Record<string, unknown>) => string) {
    this.server = createServer((s) => {
      this.socks.add(s);
      s.on('close', () => this.socks.delete(s));
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString('utf8');
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          this.lines.push(line);
          const msg = JSON.parse(line) as Record<string, unknown>;
          if (msg.SERVER === 'ALIVE' && msg.TASK === 'REQUEST') s.write('{"SERVER":"ALIVE","TASK":"RECIEVE"}\n');
          else if (msg.TASK === 'WORKER_REQUEST') s.write(`${this.onRequest(msg)}\n`);
          else if (msg.WORKER === 'ALIVE') this.workerLines.push(line);
        }
      });
      s.on('error', () => undefined);
    });
  }
  listen(host: string, port: number): Promise<void> {
    return new Promise((r) => this.server.listen(port, host, () => {
      this.port = (this.server.address() as AddressInfo).port;
      r();
    }));
  }
  async close(): Promise<void> {
    for (const s of this.socks) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

/** one raw line to a loan port from FOREIGN_IP, and the first answer line */
function ask(port: number, line: string, from = FOREIGN_IP): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, localAddress: from });
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('utf8');
      const i = buf.indexOf('\n');
      if (i >= 0) {
        resolve(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
        s.end();
      }
    });
    s.on('error', reject);
    s.write(`${line}\n`);
  });
}

describe('a foreign master borrows from a Peerboard farm', () => {
  let L: TestCluster;
  let foreign: ForeignMaster;
  const loanPortOf = (t: TestNode) => t.node.loans!.view().loanPort;

  beforeAll(async () => {
    // the foreign borrower sends no LOAN_PORT: lent workers connect to its address on 8781
    foreign = new ForeignMaster(() => '{"TASK":"ERROR"}');
    await foreign.listen(FOREIGN_IP, 8781);
    L = new TestCluster(await freeUdpPort(), { clusterId: 'lender', ...LOANS });
    await L.add('l1', { name: 'l1', lendable: true });
    await L.add('l2', { name: 'l2', lendable: false }); // a desktop
    await L.add('l3', { name: 'l3', lendable: true }); // goes into maintenance
    await L.add('l4', { name: 'l4', lendable: true });
    await L.settled();
    await L.voters(3);
    const m = L.master()!;
    await waitFor('the master sees all 4 nodes', () => m.node.clusterView().filter((e) => e.reachable !== false).length === 4 || undefined, 10_000);
    await m.node.submit({ type: 'server-add', server: { host: 'l3' } } as BoardCommand, { user: 'admin', caller: 'admin' });
    await m.node.submit({ type: 'maintenance', host: 'l3', on: true } as BoardCommand, { user: 'admin', caller: 'admin' });
  }, 60_000);

  afterAll(async () => {
    await L?.close();
    await foreign?.close();
  });

  it('answers the seed heartbeat, refuses 0 and a million, and lends only what its policy allows, to one borrower', async () => {
    const m = await L.settled();
    const port = loanPortOf(m);
    expect(await ask(port, '{"SERVER":"ALIVE","TASK":"REQUEST"}')).toMatchObject({ SERVER: 'ALIVE', TASK: 'RECIEVE' });
    for (const bad of ['0', '1000000', '2.5', '"5"', '-1']) {
      const r = await ask(port, `{"TASK":"WORKER_REQUEST","WORKERS_NEEDED":${bad}}`);
      expect(r, bad).toMatchObject({ TASK: 'WORKER_RESPONSE', STATUS: 'NACK', WORKERS: [] });
      expect(typeof r.REASON).toBe('string');
    }
    expect(m.node.loans!.view().active).toEqual([]);
    // it asks for 4: only l4 may go (l1 is the master, l2 a desktop, l3 in maintenance)
    const ack = await ask(port, '{"TASK":"WORKER_REQUEST","WORKERS_NEEDED":4}');
    expect(ack).toMatchObject({ TASK: 'WORKER_RESPONSE', STATUS: 'ACK', MASTER_UUID: m.name, WORKERS: ['l4'] });
    // committed before the ACK: the board already holds it
    expect(m.node.loans!.view().active.map((l) => [l.workerId, l.direction, l.peer.address, l.peer.loanPort, l.peer.peerboard])).toEqual([['l4', 'out', FOREIGN_IP, 8781, false]]);
    // one borrower per worker: nothing left to lend
    expect(await ask(port, '{"TASK":"WORKER_REQUEST","WORKERS_NEEDED":1}')).toMatchObject({ STATUS: 'NACK', WORKERS: [] });
    // the lent worker connects to the borrower's address on 8781 with the seed's exact ALIVE line
    await waitFor('the worker connects', () => foreign.workerLines.length > 0 || undefined, 10_000);
    expect(foreign.workerLines[0]!.startsWith('{"WORKER":"ALIVE","WORKER_UUID":"l4"')).toBe(true);
    expect(JSON.parse(foreign.workerLines[0]!)).toMatchObject({ WORKER: 'ALIVE', WORKER_UUID: 'l4' });
  }, 30_000);

  it('renews the lease while the foreign master answers heartbeats, and recalls a lent node that goes into maintenance', async () => {
    const m = await L.settled();
    const loan = m.node.loans!.view().active[0]!;
    await waitFor('a renewal', () => (m.node.loans!.view().active[0]?.until ?? 0) > loan.until || undefined, 10_000);
    await m.node.submit({ type: 'server-add', server: { host: 'l4' } } as BoardCommand, { user: 'admin', caller: 'admin' });
    await m.node.submit({ type: 'maintenance', host: 'l4', on: true } as BoardCommand, { user: 'admin', caller: 'admin' });
    await waitFor('recalled', () => m.node.loans!.view().recent.find((l) => l.id === loan.id && l.endReason === 'recalled'), 10_000);
    await waitFor('the borrower hears WORKER_RECALL', () => foreign.lines.some((l) => JSON.parse(l).TASK === 'WORKER_RECALL' && l.includes(loan.id)) || undefined, 5000);
    // the worker went home
    await waitFor('l4 stops serving', () => L.byName('l4').node.loans!.worker.serving() === null || undefined, 5000);
    await m.node.submit({ type: 'maintenance', host: 'l4', on: false } as BoardCommand, { user: 'admin', caller: 'admin' });
  }, 30_000);

  it('a lease the foreign master stops renewing expires', async () => {
    const m = await L.settled();
    const ack = await ask(loanPortOf(m), '{"TASK":"WORKER_REQUEST","WORKERS_NEEDED":1}');
    expect(ack).toMatchObject({ STATUS: 'ACK', WORKERS: ['l4'] });
    await foreign.close(); // gone: no heartbeat answers any more
    const id = m.node.loans!.view().active[0]!.id;
    await waitFor('expired', () => m.node.loans!.view().recent.find((l) => l.id === id && l.endReason === 'expired'), 10_000);
  }, 20_000);
});

describe('a Peerboard farm borrows from foreign masters', () => {
  let X: TestCluster;
  let nacker: ForeignMaster;
  let acker: ForeignMaster;
  let slow: HttpServer;

  beforeAll(async () => {
    nacker = new ForeignMaster(() => '{"TASK":"WORKER_RESPONSE","STATUS":"NACK","WORKERS":[]}');
    acker = new ForeignMaster(() => '{"TASK":"WORKER_RESPONSE","STATUS":"ACK","MASTER_UUID":"f2-master","WORKERS":[{"WORKER_UUID":"f2-w1"}]}');
    await nacker.listen('127.0.0.78', 0);
    await acker.listen('127.0.0.79', 0);
    slow = createHttp((_q, res) => void setTimeout(() => res.end('ok'), 300));
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    X = new TestCluster(await freeUdpPort(), { clusterId: 'borrower', ...LOANS, monitorConcurrency: 1, loanNeighbours: [`127.0.0.78:${nacker.port}`, `127.0.0.79:${acker.port}`] }, { monitorOptions: { timeScale: 0.2 } });
    await X.add('x1');
    await X.settled();
  }, 30_000);

  afterAll(async () => {
    await X?.close();
    await nacker?.close();
    await acker?.close();
    slow?.close();
  });

  it('asks the configured neighbours in order: a NACK moves it on, an ACKed worker that never connects ends lost', async () => {
    const m = await X.settled();
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`;
    for (let i = 0; i < 6; i++) expect((await api(m.api, 'POST', '/api/checks', { name: `c${i}`, type: 'http', target: url, intervalSec: 5, timeoutMs: 2000, retries: 0 })).status).toBe(201);
    await waitFor('the first foreign master was asked', () => nacker.lines.some((l) => l.includes('"WORKER_REQUEST"')) || undefined, 20_000);
    const req = JSON.parse(nacker.lines.find((l) => l.includes('"WORKER_REQUEST"'))!) as Record<string, unknown>;
    expect(Number.isInteger(req.WORKERS_NEEDED) && (req.WORKERS_NEEDED as number) >= 1).toBe(true);
    await waitFor('the second one ACKed: a loan in', () => m.node.loans!.view().active.find((l) => l.workerId === 'f2-w1' && l.direction === 'in'), 10_000);
    const loan = m.node.loans!.view().active.find((l) => l.workerId === 'f2-w1')!;
    expect(loan.peer).toMatchObject({ masterId: 'f2-master', address: '127.0.0.79', loanPort: acker.port, clusterId: null, peerboard: false });
    await waitFor('ended lost (never connected)', () => m.node.loans!.view().recent.find((l) => l.id === loan.id && l.endReason === 'lost'), 10_000);
    expect(m.node.loans!.view().counters.nacks_received).toBeGreaterThanOrEqual(1);
  }, 40_000);
});
