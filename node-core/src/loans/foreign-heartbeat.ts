// Other farms' masters as neighbour hints (issue 13): discovery hands a datagram the codec refused as
// another cluster's (other_cluster, bad_mac, keyed_message, missing_mac) to this gate, which peeks its
// JSON WITHOUT trusting it: only bounded datagrams, only a Heartbeat naming a cluster other than ours
// and a node id, at most HINTS_PER_SEC hints a second (the rest counted, never parsed).
import type { ForeignHeartbeat } from './types.js';

export const ForeignHintLimits = {
  /** hints handed on per second, at most; further datagrams are dropped unparsed */
  perSec: 20,
  /** a datagram larger than this is not looked at (a Heartbeat with a full view fits one datagram) */
  maxBytes: 60 * 1024,
} as const;

/** the codec's refusals that may be another farm's datagram */
export const FOREIGN_REASONS: ReadonlySet<string> = new Set(['other_cluster', 'bad_mac', 'keyed_message', 'missing_mac']);

const ID = /^[A-Za-z0-9._:@-]{1,128}$/;
const CLUSTER_ID = /^[A-Za-z0-9._-]{1,64}$/;
const HEARTBEAT_MARK = Buffer.from('"Heartbeat"');

export type HintOutcome = { hint: ForeignHeartbeat } | { drop: 'foreign_hint_rate' | 'foreign_hint_bad' } | { skip: true };

/** Rate-limited, untrusting peek at another cluster's datagrams. Never throws. */
export class ForeignHeartbeatGate {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;

  constructor(
    private readonly ownClusterId: string,
    private readonly monotonic: () => number,
    private readonly perSec: number = ForeignHintLimits.perSec,
  ) {}

  /** what to do with one refused datagram from `srcIp` */
  peek(data: Buffer, srcIp: string): HintOutcome {
    // not a heartbeat at all (a JoinRequest, a vote): ignored without parsing, costs no budget
    if (data.length > ForeignHintLimits.maxBytes || !data.includes(HEARTBEAT_MARK)) return { skip: true };
    const now = this.monotonic();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used >= this.perSec) return { drop: 'foreign_hint_rate' };
    this.used++;
    const hint = parseHint(data, srcIp, this.ownClusterId);
    return hint ? { hint } : { drop: 'foreign_hint_bad' };
  }
}

/** The hint a datagram carries, or null. Reads only what it checks; the MAC (if any) is not verified. */
export function parseHint(data: Buffer, srcIp: string, ownClusterId: string): ForeignHeartbeat | null {
  let raw: unknown;
  try {
    raw = JSON.parse(data.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const o = raw as Record<string, unknown>;
  if (o.type !== 'Heartbeat') return null;
  const { clusterId, nodeId } = o;
  if (typeof clusterId !== 'string' || !CLUSTER_ID.test(clusterId) || clusterId === ownClusterId) return null;
  if (typeof nodeId !== 'string' || !ID.test(nodeId)) return null;
  const master = typeof o.master === 'object' && o.master !== null ? (o.master as Record<string, unknown>) : null;
  const lp = o.loanPort;
  const loanPort = typeof lp === 'number' && Number.isInteger(lp) && lp >= 1 && lp <= 65535 ? lp : null;
  return { clusterId, nodeId, master: master?.nodeId === nodeId, address: srcIp, loanPort };
}
