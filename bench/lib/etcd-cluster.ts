// Three etcd members on loopback for the side-by-side figures: temp data dirs, distinct client and
// peer ports, kill -9 and restart, and finding the leader through the v3 JSON gateway.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJson } from './http-client.js';
import { log, sleep, track, waitFor } from './report.js';

export const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';

/** null when etcd can run here, else the reason to skip it */
export function etcdMissing(): string | null {
  if (!existsSync(ETCD_BIN)) return `etcd not found at ${ETCD_BIN} (apt-get install etcd-server, or set ETCD_BIN); etcd figures skipped`;
  const v = spawnSync(ETCD_BIN, ['--version'], { encoding: 'utf8', timeout: 5000 });
  if (v.status !== 0) return `${ETCD_BIN} --version failed; etcd figures skipped`;
  return null;
}

export function etcdVersion(): string {
  const v = spawnSync(ETCD_BIN, ['--version'], { encoding: 'utf8', timeout: 5000 });
  return /etcd Version: (\S+)/.exec(v.stdout)?.[1] ?? 'unknown';
}

export interface EtcdMember {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  child: ChildProcess | null;
  /** hex member id, known after the first status call */
  memberId: string | null;
}

export interface EtcdTiming {
  heartbeatMs: number;
  electionMs: number;
}

/** etcd's own defaults */
export const ETCD_DEFAULT_TIMING: EtcdTiming = { heartbeatMs: 100, electionMs: 1000 };

export class EtcdCluster {
  readonly members: EtcdMember[] = [];
  readonly dir: string;

  constructor(
    basePort: number,
    readonly timing: EtcdTiming = ETCD_DEFAULT_TIMING,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'etcd-bench-'));
    for (let i = 1; i <= 3; i++) {
      this.members.push({ name: `e${i}`, clientPort: basePort + 2 * i - 2, peerPort: basePort + 2 * i - 1, dataDir: join(this.dir, `e${i}`), child: null, memberId: null });
    }
  }

  clientUrl(m: EtcdMember): string {
    return `http://127.0.0.1:${m.clientPort}`;
  }

  start(m: EtcdMember): void {
    const initial = this.members.map((x) => `${x.name}=http://127.0.0.1:${x.peerPort}`).join(',');
    const args = [
      '--name', m.name, '--data-dir', m.dataDir,
      '--listen-client-urls', this.clientUrl(m), '--advertise-client-urls', this.clientUrl(m),
      '--listen-peer-urls', `http://127.0.0.1:${m.peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peerPort}`,
      '--initial-cluster', initial, '--initial-cluster-token', `bench-${this.members[0]!.clientPort}`, '--initial-cluster-state', 'new',
      '--heartbeat-interval', String(this.timing.heartbeatMs), '--election-timeout', String(this.timing.electionMs),
      '--logger', 'zap', '--log-level', 'warn',
    ];
    const out = createWriteStream(join(this.dir, `${m.name}.log`), { flags: 'a' });
    const child = spawn(ETCD_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    child.stdout!.pipe(out, { end: false });
    child.stderr!.pipe(out, { end: false });
    child.once('exit', () => {
      if (m.child === child) m.child = null;
      out.end();
    });
    m.child = child;
  }

  startAll(): void {
    for (const m of this.members) this.start(m);
  }

  async kill(m: EtcdMember): Promise<void> {
    const child = m.child;
    if (!child) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await Promise.race([gone, sleep(5000)]);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.members.map((m) => this.kill(m)));
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** {memberId, leader} of one member, or null when it does not answer */
  async status(m: EtcdMember, timeoutMs = 1000): Promise<{ memberId: string; leader: string } | null> {
    if (!m.child) return null;
    const r = await postJson(`${this.clientUrl(m)}/v3/maintenance/status`, {}, timeoutMs);
    if (r.status !== 200) return null;
    try {
      const j = JSON.parse(r.body) as { header?: { member_id?: string }; leader?: string };
      if (!j.header?.member_id || !j.leader) return null;
      m.memberId = j.header.member_id;
      return { memberId: j.header.member_id, leader: j.leader };
    } catch {
      return null;
    }
  }

  /** the leader once every member (restarted if it exited) agrees on it and a put through it succeeds */
  async waitLeader(timeoutMs: number): Promise<EtcdMember> {
    return waitFor(
      'an etcd leader all members agree on',
      async () => {
        // every member must run: with one gone a trial measures a cluster without a spare vote
        for (const m of this.members.filter((x) => !x.child)) {
          log(`etcd member ${m.name} is not running (exited; see ${join(this.dir, `${m.name}.log`)}): starting it again`);
          this.start(m);
        }
        const st = await Promise.all(this.members.map((m) => this.status(m)));
        if (st.some((s) => s === null)) return null;
        const leaders = new Set(st.map((s) => s!.leader));
        if (leaders.size !== 1) return null;
        const id = [...leaders][0];
        const leader = this.members.find((m) => m.memberId === id);
        if (!leader) return null;
        const put = await this.put(leader, 'bench/ready', String(Date.now()), 2000);
        return put ? leader : null;
      },
      timeoutMs,
      100,
    );
  }

  /** one put through the JSON gateway; true when acknowledged */
  async put(m: EtcdMember, key: string, value: string, timeoutMs: number): Promise<boolean> {
    return (await this.tryPut(m, key, value, timeoutMs)).ok;
  }

  /** one put with the reason it failed: the HTTP status (0: no answer) and the start of the body */
  async tryPut(m: EtcdMember, key: string, value: string, timeoutMs: number): Promise<{ ok: boolean; status: string }> {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const r = await postJson(`${this.clientUrl(m)}/v3/kv/put`, { key: b64(key), value: b64(value) }, timeoutMs);
    const ok = r.status === 200 && r.body.includes('"header"') && !r.body.includes('"error"');
    return { ok, status: ok ? '200' : `${r.status} ${r.body.slice(0, 80)}` };
  }
}
