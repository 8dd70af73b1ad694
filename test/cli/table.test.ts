// The servers and history tables: columns, until shown relative and local, filters, hostile text.
import { describe, expect, it } from 'vitest';
import type { Server, UserRequest } from '../../node-core/src/board/types.js';
import { filterServers, MAX_CELL, renderHistory, renderServers, renderTable } from '../../node-core/src/cli/table.js';
import { renderStatus } from '../../node-core/src/cli/admin-commands.js';

const now = new Date(2025, 5, 10, 12, 0, 0);
const at = (h: number, m: number): number => new Date(2025, 5, 10, h, m).getTime() / 1000;

function server(p: Partial<Server> & { host: string }): Server {
  return { app: 'Mid', ip: '10.0.0.1', env: 'preprod', available: true, action: 'Available', since: 0, comment: '', holder: null, until: null, maintenance: false, queue: [], holderNode: null, ...p };
}

describe('renderTable', () => {
  it('pads every column to its widest cell', () => {
    const out = renderTable(['A', 'BB'], [['xxx', 'y'], ['z', 'wwww']]);
    expect(out).toBe('A    BB\nxxx  y\nz    wwww\n');
  });

  it('cuts long cells and strips control characters', () => {
    const out = renderTable(['C'], [['a'.repeat(100)], ['red\u001b[31mX\u0007']]);
    const lines = out.trimEnd().split('\n');
    expect(lines[1]).toHaveLength(MAX_CELL);
    expect(lines[1]?.endsWith('…')).toBe(true);
    expect(lines[2]).toBe('red[31mX');
    expect(out).not.toMatch(/\u001b/);
  });
});

describe('renderServers', () => {
  it('shows host, app, env, status, holder, until (relative and local) and comment', () => {
    const out = renderServers(
      [
        server({ host: 'server-01' }),
        server({ host: 'server-02', app: 'Front', env: 'prod', available: false, action: 'Reserved', holder: 'alice', until: at(13, 30), comment: 'load test', queue: [{ user: 'bob', durationSec: 60, comment: '', since: 0 }] }),
      ],
      now,
    );
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^HOST\s+APP\s+ENV\s+STATUS\s+HOLDER\s+UNTIL \(.+\)\s+COMMENT$/);
    expect(lines[1]).toMatch(/^server-01\s+Mid\s+preprod\s+Available$/);
    expect(lines[2]).toMatch(/^server-02\s+Front\s+prod\s+Reserved \+1 queued\s+alice\s+in 1h 30m \(13:30\)\s+load test$/);
    // the columns line up: every row has HOLDER's column at the same offset
    const col = lines[0]!.indexOf('HOLDER');
    expect(lines[2]!.slice(col, col + 5)).toBe('alice');
  });

  it('says so when there are no servers', () => {
    expect(renderServers([], now)).toBe('no servers\n');
  });
});

describe('filterServers', () => {
  const list = [
    server({ host: 'a', env: 'prod', app: 'Mid' }),
    server({ host: 'b', env: 'preprod', app: 'Front', action: 'Reserved', holder: 'alice' }),
    server({ host: 'c', env: 'PROD', app: 'Front', action: 'Maintenance', maintenance: true }),
  ];
  const hosts = (s: Server[]): string[] => s.map((x) => x.host);

  it('matches env, app and status without regard to case', () => {
    expect(hosts(filterServers(list, { env: 'prod' }))).toEqual(['a', 'c']);
    expect(hosts(filterServers(list, { app: 'front', status: 'maintenance' }))).toEqual(['c']);
    expect(hosts(filterServers(list, { status: 'Reserved' }))).toEqual(['b']);
  });

  it('keeps only the holder’s servers for --mine', () => {
    expect(hosts(filterServers(list, { holder: 'alice' }))).toEqual(['b']);
    expect(hosts(filterServers(list, { holder: 'bob' }))).toEqual([]);
  });
});

describe('renderHistory', () => {
  it('shows date and time (zone in the header), user, operation, host, result, node and comment', () => {
    const item: UserRequest = { nodeIP: '10.0.0.2', timestamp: at(11, 5), operation: 'reserve', serverHost: 'server-01', comment: 'tests', id: 7, user: 'alice', nodeId: 'n1', result: 'error', errorCode: 'CONFLICT' };
    const lines = renderHistory([item, { ...item, nodeName: 'Lab rack A' }], now).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME \(.+\)\s+USER\s+OPERATION\s+HOST\s+RESULT\s+NODE\s+COMMENT$/);
    expect(lines[1]).toMatch(/^2025-06-10 11:05\s+alice\s+reserve\s+server-01\s+error CONFLICT\s+10\.0\.0\.2\s+tests$/);
    expect(lines[2]).toMatch(/^2025-06-10 11:05\s+.*\s+Lab rack A\s+tests$/);
    expect(renderHistory([], now)).toBe('no history entries\n');
  });

  it("puts an import's summary where the host goes", () => {
    const item: UserRequest = { nodeIP: '10.0.0.2', timestamp: at(11, 5), operation: 'servers-import', serverHost: '', comment: '', id: 8, user: 'admin', nodeId: 'n1', result: 'ok', details: { added: 3, updated: 1, removed: 0 } };
    expect(renderHistory([item], now)).toMatch(/servers-import\s+3 added, 1 updated, 0 removed\s+ok/);
  });
});

describe('renderStatus after a pause', () => {
  it('says how long the node did not run and whether it caught up', () => {
    const base = { nodeId: 'n1', clusterId: 'c', role: 'slave', term: 3, leader: null, quorum: true, stale: false, peers: 2, voters: ['n1'] };
    expect(renderStatus(base)).not.toContain('paused');
    const pending = renderStatus({ ...base, stale: true, asleep: { kind: 'suspended', sleptMs: 180_000, wokeAt: 1, dataAsOf: Date.UTC(2026, 0, 1, 9, 0, 0), caughtUpAt: null } });
    expect(pending).toMatch(/^paused {3}asleep for 3m; board from .+, catching up \(local time\)$/m);
    const done = renderStatus({ ...base, asleep: { kind: 'stopped', sleptMs: 61_000, wokeAt: 1, dataAsOf: null, caughtUpAt: Date.UTC(2026, 0, 1, 9, 1, 0) } });
    expect(done).toMatch(/^paused {3}not running for 1m 1s; caught up at .+ \(local time\)$/m);
  });
});
