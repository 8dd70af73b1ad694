// Sample boards for the demo mode, the tests and the benchmark: deterministic, plausible data.
import type { ClusterViewEntry, LeaderInfo, SelfInfo, Server, UserRequest } from './api-types.js';

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

/** An empty board: a fresh node before anyone added servers. */
export function emptyBoard(nowMs: number): FakeBoard {
  return { ...demoBoard(nowMs), servers: [], history: [] };
}
