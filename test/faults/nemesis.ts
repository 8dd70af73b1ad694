// The faults: kill -9 and restart, SIGSTOP/SIGCONT pauses, nftables partitions (isolated master,
// majority/minority, a bridge node that sees both sides), packet loss and wall-clock jumps. Each
// fault is injected, held for a while, then healed; the harness waits for a master afterwards.
import { type Cluster, type NodeProc, sleep } from './cluster.js';
import { addLoss, blockPeers, resetFilter } from './lab.js';

export const FaultKind = {
  killMaster: 'kill-master',
  killRandom: 'kill-random',
  pauseMaster: 'pause-master',
  pauseRandom: 'pause-random',
  isolateMaster: 'partition-isolate-master',
  majorityMinority: 'partition-majority-minority',
  bridge: 'partition-bridge',
  loss: 'packet-loss',
  clockJump: 'clock-jump',
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];
export const ALL_FAULTS: FaultKind[] = Object.values(FaultKind);

export interface FaultEvent {
  kind: FaultKind;
  start: number;
  end: number;
  /** which nodes, what split, what offset... */
  detail: Record<string, unknown>;
  /** ms from healing until a probe write committed again; null when none did in time */
  recoveryMs: number | null;
}

export interface NemesisOptions {
  cluster: Cluster;
  random: () => number;
  /** how long a fault is held, ms (pauses use their own range) */
  holdMs: [number, number];
  pauseMs: [number, number];
  recoveryTimeoutMs: number;
}

export class Nemesis {
  readonly events: FaultEvent[] = [];
  /** largest positive wall-clock offset injected (ms) */
  maxSkewMs = 0;

  constructor(private readonly o: NemesisOptions) {}

  private rnd(lo: number, hi: number): number {
    return lo + Math.floor(this.o.random() * (hi - lo + 1));
  }
  private shuffle<T>(xs: T[]): T[] {
    const a = [...xs];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.o.random() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }

  private async master(): Promise<NodeProc> {
    const m = await this.o.cluster.master();
    if (m) return m.node;
    return this.shuffle(this.o.cluster.running())[0] ?? this.o.cluster.nodes[0]!;
  }

  /** every node drops traffic to and from the nodes of the other side */
  private split(a: NodeProc[], b: NodeProc[]): void {
    for (const x of a) blockPeers(x.index, b.map((y) => y.ip));
    for (const y of b) blockPeers(y.index, a.map((x) => x.ip));
  }

  /** undoes every fault: filters flushed, processes resumed, clocks true, dead nodes restarted */
  heal(): void {
    const c = this.o.cluster;
    for (const n of c.nodes) {
      resetFilter(n.index);
      c.resume(n);
      if (n.clockOffsetMs !== 0) c.setClock(n, 0);
      if (!n.child) c.start(n);
    }
  }

  async inject(kind: FaultKind): Promise<FaultEvent> {
    const c = this.o.cluster;
    const hold = this.rnd(...this.o.holdMs);
    const start = Date.now();
    const detail: Record<string, unknown> = {};
    switch (kind) {
      case FaultKind.killMaster:
      case FaultKind.killRandom: {
        const n = kind === FaultKind.killMaster ? await this.master() : this.shuffle(c.running())[0]!;
        detail.node = n.id;
        detail.downMs = hold;
        await c.kill(n);
        await sleep(hold);
        break;
      }
      case FaultKind.pauseMaster:
      case FaultKind.pauseRandom: {
        const n = kind === FaultKind.pauseMaster ? await this.master() : this.shuffle(c.running())[0]!;
        const ms = this.rnd(...this.o.pauseMs);
        detail.node = n.id;
        detail.pauseMs = ms;
        c.pause(n);
        await sleep(ms);
        c.resume(n);
        break;
      }
      case FaultKind.isolateMaster: {
        const m = await this.master();
        detail.node = m.id;
        this.split([m], c.nodes.filter((n) => n !== m));
        await sleep(hold);
        break;
      }
      case FaultKind.majorityMinority: {
        const s = this.shuffle(c.nodes);
        const minority = s.slice(0, Math.floor(c.nodes.length / 2));
        const majority = s.slice(minority.length);
        detail.minority = minority.map((n) => n.id);
        detail.majority = majority.map((n) => n.id);
        this.split(minority, majority);
        await sleep(hold);
        break;
      }
      case FaultKind.bridge: {
        // A - B - C: B sees everyone, A and C do not see each other
        const s = this.shuffle(c.nodes);
        const side = Math.max(1, Math.floor((c.nodes.length - 1) / 2));
        const a = s.slice(0, side);
        const cc = s.slice(side, 2 * side);
        detail.a = a.map((n) => n.id);
        detail.c = cc.map((n) => n.id);
        detail.bridge = s.slice(2 * side).map((n) => n.id);
        this.split(a, cc);
        await sleep(hold);
        break;
      }
      case FaultKind.loss: {
        const p = this.rnd(20, 40);
        detail.percent = p;
        for (const n of c.nodes) addLoss(n.index, p);
        await sleep(hold);
        break;
      }
      case FaultKind.clockJump: {
        const n = this.o.random() < 0.5 ? await this.master() : this.shuffle(c.running())[0]!;
        const sign = this.o.random() < 0.5 ? -1 : 1;
        const offset = sign * this.rnd(5, 30) * 1000;
        detail.node = n.id;
        detail.offsetMs = offset;
        if (offset > this.maxSkewMs) this.maxSkewMs = offset;
        c.setClock(n, offset);
        await sleep(hold);
        break;
      }
    }
    this.heal();
    const healed = Date.now();
    let recoveryMs: number | null = null;
    if (await c.waitForCommit(this.o.recoveryTimeoutMs)) recoveryMs = Date.now() - healed;
    const ev: FaultEvent = { kind, start, end: healed, detail, recoveryMs };
    this.events.push(ev);
    return ev;
  }
}
