// Self-registration: a desktop or headless node registers its user (seed 001) and itself (seed 002)
// through the replicated log and heartbeats both in-process, so the board shows who is online.
import { createHash, randomUUID } from 'node:crypto';
import type { NodeHandle } from './api/node-handle.js';
import type { BoardCommand } from './board/types.js';
import { lendableOf } from './config.js';
import { ErrorCode, PeerboardError, toPeerboardError } from './errors.js';
import type { Logger } from './log.js';
import { osStats, presenceFor } from './presence.js';

export interface SelfRegistrationOptions {
  logger: Logger;
  /** how often to heartbeat (default 10 s, seed 001's client pattern) */
  intervalMs?: number;
  /** the username to register (default config.user) */
  username?: string;
  /** the address clients reach this user at (default nodeIP:apiPort) */
  addr?: string;
}

type SelfNode = Extract<BoardCommand, { type: 'cluster-register' }>['node'];

/** The URL of a node's API (seed 002's url). */
export function nodeUrl(nodeIP: string, apiPort: number): string {
  const host = nodeIP.includes(':') ? `[${nodeIP}]` : nodeIP;
  return `http://${host}:${apiPort}`;
}

/** This node as seed 002's registration body (coordinator = master, worker = slave). */
export function selfNodeRecord(node: NodeHandle, startTime: string): SelfNode {
  const self = node.status().self;
  return {
    id: node.nodeId,
    url: nodeUrl(self.nodeIP, self.apiPort),
    clusterId: node.config.clusterId,
    role: self.role === 'master' ? 'coordinator' : 'worker',
    // lendable (issue 13): the master lends only nodes that say so
    capabilities: { board: true, headless: self.headless, lendable: lendableOf(node.config) },
    tags: ['peerboard'],
    metadata: { peerboard: true, autoRegistered: true, nodeVersion: process.version, platform: process.platform, startTime, ...(self.name ? { name: self.name } : {}) },
  };
}

/** Registers this node's record unless the log already holds it with the same URL. */
export async function ensureSelfRecord(node: NodeHandle, startTime: string, by: string): Promise<void> {
  const want = selfNodeRecord(node, startTime);
  const have = node.clusterNodes().find((n) => n.id === node.nodeId);
  if (have && have.url === want.url && have.metadata.name === want.metadata.name && have.capabilities.lendable === want.capabilities.lendable) return;
  await node.submit({ type: 'cluster-register', node: want }, { user: by });
}

/**
 * Starts registering and heartbeating this node's user and record every intervalMs; returns stop().
 * Failures (no quorum, an election in progress, a taken username) are logged at debug level and
 * retried on the next tick: the loop never throws.
 */
export function startSelfRegistration(node: NodeHandle, opts: SelfRegistrationOptions): () => void {
  const log = opts.logger.child({ subsystem: 'self-register' });
  const presence = presenceFor(node, opts.logger);
  const intervalMs = Math.max(10, opts.intervalMs ?? 10_000);
  const username = opts.username ?? node.config.user;
  const registersUser = opts.username !== undefined || !node.config.headless;
  const startTime = new Date(Date.now() - node.health().uptimeSec * 1000).toISOString();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let warnedTaken = false;

  const addrOf = (): string => {
    const self = node.status().self;
    return opts.addr ?? `${self.nodeIP.includes(':') ? `[${self.nodeIP}]` : self.nodeIP}:${self.apiPort}`;
  };

  async function userTick(): Promise<void> {
    const addr = addrOf();
    // the HTTP port is known only once the node's HTTP server listens
    if (!opts.addr && node.status().self.apiPort === 0) throw new PeerboardError(ErrorCode.Unavailable, 'HTTP port not bound yet');
    if (!node.users().some((u) => u.username === username)) {
      try {
        // the key is stable per name and address, so a retry after a timeout applies once, and a
        // refused attempt (its result is remembered under its key) does not block a corrected one
        const key = createHash('sha256').update(`${node.nodeId}\0${username}\0${addr}`).digest('hex').slice(0, 40);
        await node.submit({ type: 'user-register', username, addr, userId: randomUUID() }, { user: username, reqId: `self-user:${key}` });
      } catch (err) {
        const e = toPeerboardError(err);
        if (e.code !== ErrorCode.Conflict) throw e;
        if (!warnedTaken) log.warn({ username, err: e.message }, 'could not register this node\'s user; heartbeats continue under the registered entry');
        warnedTaken = true;
      }
    }
    if (node.users().some((u) => u.username === username)) presence.beatUser(username, addr);
  }

  async function nodeTick(): Promise<void> {
    await ensureSelfRecord(node, startTime, 'system');
    presence.beatNode(node.nodeId, 'active', osStats());
  }

  /** one round; says whether everything went through */
  async function tick(): Promise<boolean> {
    let ok = true;
    // a headless node is a server host, not a client (seed 001): it never registers an OS account as
    // an online user; a desktop node registers the person using it
    const steps = registersUser ? ([['user', userTick], ['node', nodeTick]] as const) : ([['node', nodeTick]] as const);
    for (const [what, fn] of steps) {
      if (stopped) return ok;
      try {
        await fn();
      } catch (err) {
        ok = false;
        const e = err instanceof PeerboardError ? err : toPeerboardError(err);
        log.debug({ what, code: e.code, err: e.message }, 'self-registration not done yet; retrying');
      }
    }
    return ok;
  }

  const loop = (): void => {
    if (stopped) return;
    void tick().then((ok) => {
      if (stopped) return;
      // not registered yet (no master during start-up, an election): try again soon
      timer = setTimeout(loop, ok ? intervalMs : Math.min(intervalMs, 1000));
      timer.unref();
    });
  };
  loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
