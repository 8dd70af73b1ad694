// The campaign's attacks in order (issue 9): each one bounded in count and time, with its short (CI)
// and long sizes. Steps that need the harness (cheap writes, promote, disk filling) run here; the
// hostile traffic itself comes from the attacker agent in its own namespace.
import { DiscoveryLimits } from '../../node-core/src/discovery.js';
import { sleep } from '../faults/cluster.js';
import type { Outcome, Target } from './attacks/wire.js';
import type { Agent, AckHold } from './harness.js';
import type { SecCluster } from './sec-cluster.js';

export interface Ctx {
  cluster: SecCluster;
  agent: Agent;
  target: Target;
  long: boolean;
  acks: AckHold[];
}

export interface AttackSpec {
  name: string;
  /** a flood: RSS growth over the limit counts as a failure */
  flood?: boolean;
  /** restart every node after the attack and check again (effects that show only after a restart) */
  restartAfter?: boolean;
  longOnly?: boolean;
  run(ctx: Ctx): Promise<Outcome>;
}

/** RSS growth allowed during a flood (issue 9's goal) */
export const FLOOD_RSS_LIMIT_MIB = 50;

function merge(...os: Outcome[]): Outcome {
  return { sent: os.reduce((s, o) => s + o.sent, 0), breaches: os.flatMap((o) => o.breaches), notes: os.flatMap((o) => o.notes) };
}

async function masterOrThrow(c: SecCluster) {
  const m = await c.waitForMaster(10_000);
  if (!m) throw new Error('no master before the attack');
  return m;
}

const TERM_MAX = Number.MAX_SAFE_INTEGER; // 2^53 - 1
const TERM_248 = 2 ** 48 + 1;

export const ATTACKS: AttackSpec[] = [
  {
    name: 'poison-record',
    async run({ cluster, agent }) {
      const m = await masterOrThrow(cluster);
      const t0 = Date.now();
      const o = await agent.call('poison', { targetIp: m.node.ip }, 60_000);
      o.notes.push(`registers took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      // 100 cheap entries so that every node takes a snapshot (--snapshot-every is small)
      let ok = 0;
      let failedInRow = 0;
      let tried = 0;
      for (let i = 0; i < 100 && failedInRow < 3; i++) {
        const path = i % 2 === 0 ? '/api/servers/scratch-cheap/reserve' : '/api/servers/scratch-cheap/release';
        const r = await cluster.http(m.node, 'POST', path, i % 2 === 0 ? { user: 'cheap', durationSec: 60 } : { user: 'cheap' }, { timeoutMs: 2500 });
        tried++;
        if (r?.status === 200) {
          ok++;
          failedInRow = 0;
        } else failedInRow++;
      }
      o.notes.push(`${ok}/${tried} cheap writes committed after the poison${tried < 100 ? ' (stopped: writes kept failing)' : ''} by ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      await sleep(1500);
      for (const n of cluster.nodes) {
        if (!n.child) continue;
        for (const path of ['/api/cluster/nodes', '/api/cluster/status', '/api/health', '/api/cluster/service-status']) {
          const r = await cluster.http(n, 'GET', path, undefined, { timeoutMs: 2000 });
          if (!r || r.status >= 500) o.breaches.push(`${n.id} ${path} answered ${r?.status ?? 'nothing'}`);
        }
      }
      return o;
    },
  },
  {
    name: 'udp-term-stranger',
    async run({ agent, long }) {
      const count = long ? 10_000 : 500;
      const os: Outcome[] = [];
      for (const actor of ['stranger', 'bogus-mac']) for (const term of [TERM_MAX, TERM_248]) os.push(await agent.call('termJump', { actor, term, count }, 120_000));
      return merge(...os);
    },
  },
  {
    name: 'udp-term-member-2^48+1',
    async run({ agent, long }) {
      return agent.call('termJump', { actor: 'member', term: TERM_248, count: long ? 10_000 : 500 }, 120_000);
    },
  },
  {
    name: 'udp-term-member-2^53-1',
    restartAfter: true,
    async run({ agent, long }) {
      return agent.call('termJump', { actor: 'member', term: TERM_MAX, count: long ? 10_000 : 500 }, 120_000);
    },
  },
  {
    name: 'forged-state-stranger',
    async run({ agent, acks, long }) {
      const hosts = acks.map((a) => a.host);
      const a = await agent.call('forgedState', { actor: 'stranger', durationMs: long ? 10_000 : 2000, hosts }, 60_000);
      const b = await agent.call('forgedState', { actor: 'bogus-mac', durationMs: long ? 10_000 : 2000, hosts }, 60_000);
      return merge(a, b);
    },
  },
  {
    name: 'forged-state-member',
    restartAfter: true,
    async run({ agent, acks, long }) {
      return agent.call('forgedState', { actor: 'member', durationMs: long ? 10_000 : 4000, hosts: acks.map((a) => a.host) }, 60_000);
    },
  },
  {
    name: 'peer-admin-stranger',
    async run({ agent, acks, long }) {
      const victims = acks.map((a) => a.host);
      const a = await agent.call('peerAdmin', { actor: 'stranger', rounds: long ? 5000 : 250, victims }, 300_000);
      const b = await agent.call('peerAdmin', { actor: 'bogus-mac', rounds: long ? 5000 : 250, victims }, 300_000);
      return merge(a, b);
    },
  },
  {
    name: 'peer-admin-member',
    async run({ agent, acks, long }) {
      return agent.call('peerAdmin', { actor: 'member', rounds: long ? 250 : 10, victims: acks.map((a) => a.host) }, 120_000);
    },
  },
  {
    name: 'flood-fetch-pipelined-1k',
    flood: true,
    async run({ agent }) {
      return agent.call('fetchPipelined', { n: 1000, holdMs: 2000, maxMs: 20_000 }, 60_000);
    },
  },
  {
    name: 'flood-fetch-pipelined-50k',
    flood: true,
    longOnly: true,
    async run({ agent }) {
      return agent.call('fetchPipelined', { n: 50_000, holdMs: 5000, maxMs: 60_000 }, 120_000);
    },
  },
  {
    name: 'flood-11-byte-frames',
    flood: true,
    async run({ agent, long }) {
      return agent.call('smallFrames', long ? { n: 200_000, conns: 20, holdMs: 5000, maxMs: 60_000 } : { n: 5000, conns: 5, holdMs: 1500, maxMs: 20_000 }, 120_000);
    },
  },
  {
    name: 'flood-1MiB-minus-1',
    flood: true,
    async run({ agent, long }) {
      return agent.call('bigFrames', long ? { conns: 200, holdMs: 10_000, maxMs: 60_000 } : { conns: 20, holdMs: 3000, maxMs: 20_000 }, 120_000);
    },
  },
  {
    name: 'flood-join-random-ids',
    flood: true,
    async run({ agent, cluster, long }) {
      const o = await agent.call('joinFlood', { actor: 'member', count: long ? 200_000 : 3000, maxMs: long ? 90_000 : 15_000 }, 150_000);
      const m = await cluster.master();
      const peers = (m?.health as { peers?: number } | undefined)?.peers;
      if (peers !== undefined) {
        o.notes.push(`master's peer table: ${peers} entries`);
        // the bound is discovery's: strangers known only from their JoinRequests, plus the members
        const bound = DiscoveryLimits.maxStrangers + cluster.nodes.length;
        if (peers > bound) o.breaches.push(`the master's peer table grew to ${peers} entries (unknown ids not bounded; bound ${bound})`);
      }
      return o;
    },
  },
  {
    name: 'fake-voters',
    async run({ agent, long }) {
      return agent.call('fakeVoters', { ids: ['fake-a', 'fake-b'], durationMs: long ? 15_000 : 6000 }, 60_000);
    },
  },
  {
    name: 'replay',
    async run({ agent, cluster, long }) {
      const m = await masterOrThrow(cluster);
      const follower = cluster.nodes.find((n) => n.id !== m.node.id)!;
      const term = m.health.term;
      const fr = await agent.call('forwardCapture', { masterId: m.node.id, fromId: follower.id, term, host: 'scratch-replay', user: 'alice' }, 20_000);
      await cluster.http(m.node, 'POST', '/api/servers/scratch-replay/release', { user: 'alice' });
      const fm = await agent.call('forceMasterCapture', { fromId: follower.id, targetId: follower.id, term }, 20_000);
      const moved = await cluster.waitForMaster(8000, () => true).then(async () => (await cluster.waitForMaster(6000, (h) => h.nodeId === follower.id)) !== null);
      fm.notes.push(moved ? `the original ForceMaster moved leadership to ${follower.id}` : 'the original ForceMaster did not move leadership');
      // a legitimate term change: the admin puts the old master back
      const p = await cluster.http(follower, 'POST', '/promote', { role: 'master', nodeId: m.node.id }, { token: 'admin', timeoutMs: 8000 });
      const back = await cluster.waitForMaster(10_000, (h) => h.nodeId === m.node.id);
      if (!back) return merge(fr, fm, { sent: 0, breaches: [], notes: [`promote back to ${m.node.id} did not take (${p?.status ?? 'no answer'}): replay not measured`] });
      const times = long ? 100 : 5;
      const r2 = await agent.call('forwardReplay', { hex: (fr.data as { hex: string }).hex, toId: m.node.id, times }, 30_000);
      const r1 = await agent.call('udpReplay', { hex: (fm.data as { hex: string }).hex, times }, 30_000);
      await sleep(3000);
      const out = merge(fr, fm, r1, r2);
      const now = await cluster.master();
      if (now && now.node.id !== m.node.id) out.breaches.push(`the replayed ForceMaster (term ${term}) moved leadership to ${now.node.id} at term ${now.health.term}`);
      const s = await cluster.http(m.node, 'GET', '/api/servers/scratch-replay');
      const holder = (s?.body as { holder?: string | null } | undefined)?.holder;
      if (holder === 'alice') out.breaches.push('the replayed ForwardRequest reserved scratch-replay for alice again');
      await cluster.http(m.node, 'POST', '/api/servers/scratch-replay/release', { user: 'alice' });
      return out;
    },
  },
  {
    name: 'http-garbage',
    async run({ agent, long }) {
      return agent.call('httpGarbage', { count: long ? 30_000 : 1500 }, 600_000);
    },
  },
  {
    name: 'disk-full',
    async run({ cluster }) {
      return diskFull(cluster);
    },
  },
];

/** Fills one follower's tmpfs, then both, writing through the master; then frees them and expects writes to work again. */
async function diskFull(c: SecCluster): Promise<Outcome> {
  const o: Outcome = { sent: 0, breaches: [], notes: [] };
  const m = await masterOrThrow(c);
  const [f1, f2] = c.nodes.filter((n) => n.id !== m.node.id) as [typeof m.node, typeof m.node];
  let seq = 0;
  const write = async (): Promise<{ status: number | null; code?: string; message?: string }> => {
    const user = `disk${seq++ % 2}`;
    const r = await c.http(m.node, 'POST', '/api/servers/scratch-disk/reserve', { user, durationSec: 60, comment: 'x'.repeat(500) }, { timeoutMs: 9000 });
    o.sent++;
    if (r?.status === 200) {
      await c.http(m.node, 'POST', '/api/servers/scratch-disk/release', { user }, { timeoutMs: 9000 });
      o.sent++;
    }
    const b = r?.body as { code?: string; message?: string } | undefined;
    return { status: r?.status ?? null, ...(b?.code ? { code: b.code } : {}), ...(b?.message ? { message: b.message } : {}) };
  };
  const phase = async (label: string, n: number): Promise<void> => {
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const r = await write();
      const k = r.status === 200 ? 'ok' : `${r.status ?? 'no answer'} ${r.code ?? ''}`.trim();
      counts.set(k, (counts.get(k) ?? 0) + 1);
      if (r.status === null) o.breaches.push(`${label}: a write got no answer within 9 s`);
      else if (r.status !== 200 && r.status !== 409 && (!r.code || !r.message)) o.breaches.push(`${label}: a write was refused without a reason (${r.status})`);
    }
    o.notes.push(`${label}: ${[...counts].map(([k, v]) => `${k} x${v}`).join(', ')}`);
  };
  o.notes.push(`filled ${f1.id}: ${(c.fillDisk(f1) / 1048576).toFixed(0)} MiB`);
  await phase(`${f1.id} full`, 10);
  await sleep(3000);
  o.notes.push(`filled ${f2.id}: ${(c.fillDisk(f2) / 1048576).toFixed(0)} MiB`);
  await phase('both followers full', 3);
  await sleep(1500);
  c.freeDisk(f1);
  c.freeDisk(f2);
  const gone = [m.node, f1, f2].filter((n) => !n.child).map((n) => n.id);
  if (gone.length >= 2) {
    o.breaches.push(`writes cannot work again: ${gone.join(' and ')} exited`);
    return o;
  }
  const deadline = Date.now() + 20_000;
  let back = false;
  while (Date.now() < deadline && !back) {
    // a 409 is the board's answer after the command committed: the log works again too
    const st = (await write()).status;
    back = st === 200 || st === 409;
    if (!back) await sleep(500);
  }
  if (!back) o.breaches.push('writes did not work again within 20 s after space returned');
  else o.notes.push('writes work again after space returned');
  return o;
}
