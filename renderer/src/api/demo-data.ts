// Sample boards for the demo mode, the tests and the benchmark: deterministic, plausible data.
import type { BoardCommand } from '../../../node-core/src/board/types.js';
import { demoLoans } from './fake-loans.js';
import type { MonitoringData } from '../../../node-core/src/monitoring/board-monitoring.js';
import type { CheckSeries, ClusterViewEntry, LeaderInfo, LocationResult, SelfInfo, Server, UserRequest, Verdict } from './api-types.js';

/** A command the fake commits through the real board when it starts, dated `agoMs` before now. */
export interface SeedCommand {
  cmd: BoardCommand;
  agoMs: number;
}

/** The mutable state behind FakeApi. */
export interface FakeBoard {
  servers: Server[];
  clusterView: ClusterViewEntry[];
  history: UserRequest[];
  self: SelfInfo;
  leader: LeaderInfo | null;
  lastUpdate: number;
  quorum: boolean;
  stale: boolean;
  staleMs: number | null;
  writeBlockedReason: string | null;
  /** committed through the board at start, oldest first (the demo's checks, targets and verdict changes) */
  seed?: SeedCommand[];
}

const APPS = ['Mid', 'Web', 'Batch', 'Gateway', 'Search', 'Billing'];
const ENVS = ['prod', 'preprod', 'qa', 'dev'];
const USERS = ['alice', 'bob', 'carol', 'dmitri', 'erin'];

/** A plain available server. */
export function server(host: string, extra: Partial<Server> = {}): Server {
  return {
    host,
    app: 'Mid',
    ip: '10.0.0.1',
    env: 'qa',
    available: true,
    action: 'Available',
    since: 0,
    comment: '',
    holder: null,
    until: null,
    maintenance: false,
    queue: [],
    holderNode: null,
    ...extra,
  };
}

/** `n` servers; every fifth reserved, every 23rd in maintenance, a few down or on loan. */
export function makeServers(n: number, nowMs: number): Server[] {
  const now = Math.floor(nowMs / 1000);
  const out: Server[] = [];
  for (let i = 0; i < n; i++) {
    const host = `srv-${String(i + 1).padStart(4, '0')}`;
    const s = server(host, {
      app: APPS[i % APPS.length] as string,
      env: ENVS[(i >> 1) % ENVS.length] as string,
      ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      since: now - ((i * 137) % 7200),
    });
    if (i % 23 === 7) Object.assign(s, { maintenance: true, available: false, action: 'Maintenance', comment: 'kernel upgrade' });
    else if (i % 5 === 2) {
      const holder = USERS[i % USERS.length] as string;
      Object.assign(s, { holder, available: false, action: 'Reserved', until: now + 600 + ((i * 311) % 20000), comment: `load test ${i}` });
      if (i % 3 === 0) s.queue.push({ user: USERS[(i + 1) % USERS.length] as string, durationSec: 3600, comment: '', since: now - 60 });
    } else if (i % 41 === 11) Object.assign(s, { available: false, action: 'Down' });
    else if (i % 53 === 13) Object.assign(s, { available: false, action: 'On loan', comment: 'lent to farm B' });
    out.push(s);
  }
  return out;
}

function node(i: number, role: ClusterViewEntry['role'], user: string, nowMs: number, extra: Partial<ClusterViewEntry> = {}): ClusterViewEntry {
  return {
    nodeIP: `192.168.1.${10 + i}`,
    role,
    nodeId: `node-${['a7f3', 'b19c', 'c4e0', 'd2b8'][i] ?? i}`,
    peerPort: 8779,
    apiPort: 8777,
    uiPort: 8778,
    headless: false,
    voter: true,
    user,
    lastHeartbeat: nowMs - 400 - i * 700,
    term: 4,
    matchIndex: 120,
    ...extra,
  };
}

/** The demo board: 36 servers, four nodes, some history. */
export function demoBoard(nowMs: number): FakeBoard {
  const now = Math.floor(nowMs / 1000);
  const servers = makeServers(36, nowMs);
  const mine = servers[4];
  if (mine) Object.assign(mine, { holder: 'dana', available: false, action: 'Reserved', since: now - 1500, until: now + 5400, comment: 'release 2.4 smoke tests' });
  const clusterView = [
    node(0, 'master', 'dana', nowMs),
    node(1, 'slave', 'alice', nowMs),
    node(2, 'slave', 'bob', nowMs, { matchIndex: 118 }),
    node(3, 'observer', 'ci-runner', nowMs, { headless: true, voter: false, lastHeartbeat: nowMs - 9000 }),
  ];
  const self: SelfInfo = {
    nodeId: 'node-a7f3',
    nodeIP: '192.168.1.10',
    role: 'master',
    term: 4,
    user: 'dana',
    headless: false,
    voter: true,
    clusterId: 'team-blue',
    apiPort: 8777,
    uiPort: 8778,
  };
  const ops = ['reserve', 'release', 'extend', 'queue', 'reserve', 'maintenance'];
  const history: UserRequest[] = [];
  for (let i = 0; i < 40; i++) {
    history.push({
      nodeIP: clusterView[i % 3]?.nodeIP ?? '192.168.1.10',
      timestamp: now - i * 420,
      operation: ops[i % ops.length] as string,
      serverHost: servers[(i * 7) % servers.length]?.host ?? 'srv-0001',
      comment: i % 4 === 0 ? 'integration tests' : '',
      id: 120 - i,
      user: USERS[i % USERS.length] as string,
      nodeId: clusterView[i % 3]?.nodeId ?? 'node-a7f3',
      result: i % 9 === 4 ? 'error' : 'ok',
      ...(i % 9 === 4 ? { errorCode: 'CONFLICT' } : {}),
    });
  }
  return {
    servers,
    clusterView,
    history,
    self,
    leader: { nodeId: self.nodeId, nodeIP: self.nodeIP, apiPort: 8777 },
    lastUpdate: now,
    quorum: true,
    stale: false,
    staleMs: 0,
    writeBlockedReason: null,
  };
}

/** The demo board with monitoring: checks, targets and verdict changes (their history rows too). */
export function demoBoardWithMonitoring(nowMs: number): FakeBoard {
  return { ...demoBoard(nowMs), seed: [...demoMonitoring(nowMs), ...demoLoans(nowMs)] };
}

/** An empty board: a fresh node before anyone added servers. */
export function emptyBoard(nowMs: number): FakeBoard {
  return { ...demoBoard(nowMs), servers: [], history: [] };
}

// ---- monitoring --------------------------------------------------------------------------------

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** the demo's locations: two nodes of the team and a remote instance (seed 003's dependent) */
const LOCATIONS = [
  { nodeId: 'node-d2b8', location: 'ci-runner' },
  { nodeId: 'node-a7f3', location: 'paris-office' },
  { nodeId: 'remote-aws-1', location: 'aws-eu-west' },
];

/** each location's view at a verdict change: `down` of them DOWN (the last ones) */
function locations(nowMs: number, agoMs: number, down: number, base: number, error = 'HTTP 503'): LocationResult[] {
  return LOCATIONS.map((l, i) => {
    const isDown = i >= LOCATIONS.length - down;
    return {
      ...l,
      status: isDown ? ('DOWN' as const) : ('UP' as const),
      responseTime: isDown ? 2000 : base + i * 17,
      // the probe that decided it, a few seconds before the change
      lastChecked: new Date(nowMs - agoMs - 4000 - i * 1500).toISOString(),
      error: isDown ? error : null,
      voting: true,
    };
  });
}

/**
 * The demo's monitoring: five checks on the demo board (ids 1-5, in this order) with real verdict
 * changes: api DOWN (2 of 3 locations), web PARTIAL, db back UP after an outage, dns UP, batch DOWN on
 * a server in maintenance (muted). Two notification targets. The fake never probes or delivers: these
 * addresses are never contacted.
 */
export function demoMonitoring(nowMs: number): SeedCommand[] {
  const verdict = (checkId: number, previous: Verdict, next: Verdict, agoMs: number, down: number, base: number, error?: string): SeedCommand => ({
    cmd: { type: 'verdict', checkId, previous, verdict: next, locations: locations(nowMs, agoMs, down, base, error) },
    agoMs,
  });

  const add = (check: Extract<BoardCommand, { type: 'check-add' }>['check']): SeedCommand => ({ cmd: { type: 'check-add', check }, agoMs: 8 * DAY });
  return [
    add({ name: 'api', type: 'http', target: 'https://api.example.com/health', server: 'srv-0002', intervalSec: 30, timeoutMs: 5000, retries: 1, expectStatus: [200] }),
    add({ name: 'web', type: 'http', target: 'https://www.example.com/', server: 'srv-0004', intervalSec: 60, timeoutMs: 5000, retries: 0, keyword: 'Welcome' }),
    add({ name: 'db', type: 'tcp', target: 'db.example.com:5432', server: 'srv-0010', intervalSec: 30, timeoutMs: 2000, retries: 2 }),
    add({ name: 'dns', type: 'dns', target: 'example.com', intervalSec: 300, timeoutMs: 3000, retries: 0, dnsRecordType: 'A' }),
    add({ name: 'batch', type: 'ping', target: 'batch.example.com', server: 'srv-0008', intervalSec: 60, timeoutMs: 2000, retries: 0 }),
    { cmd: { type: 'notify-add', target: { type: 'webhook', url: 'https://hooks.example.com/peerboard', secret: 'demo-secret-123', name: 'ops webhook' } }, agoMs: 8 * DAY },
    { cmd: { type: 'notify-add', target: { type: 'slack', url: 'https://hooks.slack.example.com/services/T000/B000/XXXX', name: '#ops' } }, agoMs: 8 * DAY },
    verdict(1, 'UNKNOWN', 'UP', 7 * DAY, 0, 84),
    verdict(2, 'UNKNOWN', 'UP', 7 * DAY, 0, 132),
    verdict(3, 'UNKNOWN', 'UP', 7 * DAY, 0, 3),
    verdict(4, 'UNKNOWN', 'UP', 7 * DAY, 0, 21),
    verdict(5, 'UNKNOWN', 'UP', 7 * DAY, 0, 1),
    verdict(3, 'UP', 'DOWN', 2 * DAY, 2, 3, 'connect ECONNREFUSED 10.0.0.10:5432'),
    verdict(3, 'DOWN', 'UP', 2 * DAY - 25 * MIN, 0, 3),
    verdict(5, 'UP', 'DOWN', HOUR, 3, 1, 'timeout after 2000 ms'),
    verdict(1, 'UP', 'DOWN', 40 * MIN, 2, 84),
    verdict(2, 'UP', 'PARTIAL', 12 * MIN, 1, 132, 'keyword "Welcome" not found'),
  ];
}

/** A tiny deterministic noise in [0, 1) from two integers (the chart looks the same on every load). */
function noise(a: number, b: number): number {
  let x = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
  return ((x ^ (x >>> 12)) >>> 0) / 2 ** 32;
}

/** The verdict of a check at `t` from its committed timeline (oldest first); UNKNOWN before the first. */
function verdictAt(timeline: ReadonlyArray<readonly [number, Verdict]>, t: number): Verdict {
  let v: Verdict = 'UNKNOWN';
  for (const [at, next] of timeline) {
    if (at > t) break;
    v = next;
  }
  return v;
}

/**
 * Demo only: a response-time series for a check, generated to agree with its committed verdicts
 * (failures while DOWN, some while PARTIAL, none before it was first known). At most `maxPoints`.
 */
export function demoSeries(m: Readonly<MonitoringData>, checkId: number, sinceMs: number, nowMs: number, maxPoints: number): CheckSeries | null {
  const check = m.checks.get(checkId);
  if (!check) return null;
  const span = Math.max(0, nowMs - sinceMs);
  const n = Math.max(1, Math.min(maxPoints, Math.floor(span / (check.intervalSec * 1000)) + 1, 500));
  const step = span / n;
  const timeline = m.timeline.get(checkId) ?? [];
  const base = 20 + ((checkId * 37) % 150);
  const points: CheckSeries['points'] = [];
  for (let i = 0; i < n; i++) {
    const at = Math.round(sinceMs + (i + 1) * step);
    const v = verdictAt(timeline, at);
    if (v === 'UNKNOWN') continue;
    const slot = Math.floor(at / (check.intervalSec * 1000));
    const r = noise(checkId, slot);
    const ok = v === 'UP' || (v === 'PARTIAL' && r > 0.35);
    const wave = 1 + 0.25 * Math.sin(at / (3 * HOUR));
    points.push({ at, ok, responseTime: ok ? Math.round(base * wave + r * base * 0.6) : check.timeoutMs });
  }
  return { checkId, location: 'this computer (demo)', points };
}
