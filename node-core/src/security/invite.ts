// Team invites: `pb1:<clusterId>:<key>[@ip:port,ip:port]`, one string that carries everything a new
// node needs to join (the cluster id, the key and, for networks without broadcast, where members listen).
import type { InviteInfo } from '../api/peer-api.js';
import { ConfigError } from '../errors.js';

export type { InviteInfo };

/** The version prefix: a future format gets pb2, and an old node says it cannot read it. */
export const INVITE_PREFIX = 'pb1';
/** Longest invite accepted (prefix + 64-char id + 256-char key + peers, with room to spare). */
export const MAX_INVITE_CHARS = 2048;
/** Most member addresses one invite carries. */
export const MAX_INVITE_PEERS = 16;
export const CLUSTER_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
/** base64url, as generateClusterKey() makes them; 16 to 256 characters like configSchema.clusterKey */
export const INVITE_KEY_RE = /^[A-Za-z0-9_-]{16,256}$/;
const HOST_RE = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$/;

export interface Invite {
  clusterId: string;
  key: string;
  /** static discovery addresses "ip:port" of members (optional; for networks without broadcast) */
  peers?: string[];
}

function bad(message: string, details: Record<string, unknown> = {}): ConfigError {
  return new ConfigError(`invalid invite: ${message}`, details);
}

/** Checks one "ip:port"; returns it normalised or throws naming it. */
export function checkPeer(text: string): string {
  const m = /^([^:\s]+):(\d{1,5})$/.exec(text);
  if (!m) throw bad(`peer "${text.slice(0, 80)}" is not ip:port`);
  const host = m[1]!;
  const port = Number(m[2]);
  if (!HOST_RE.test(host)) throw bad(`peer "${text.slice(0, 80)}": bad address`);
  if (/^\d+(\.\d+){3}$/.test(host) && host.split('.').some((o) => Number(o) > 255)) throw bad(`peer "${text}": bad IPv4 address`);
  if (port < 1 || port > 65535) throw bad(`peer "${text}": port must be 1 to 65535`);
  return `${host}:${port}`;
}

/** Builds the invite string. Throws ConfigError when a part cannot travel in one. */
export function formatInvite({ clusterId, key, peers }: Invite): string {
  if (!CLUSTER_ID_RE.test(clusterId)) throw bad('clusterId: letters, digits, dot, dash, underscore; 1 to 64 characters');
  if (!INVITE_KEY_RE.test(key)) throw bad('the key must be 16 to 256 base64url characters (A-Z a-z 0-9 - _)');
  const list = (peers ?? []).map(checkPeer);
  if (list.length > MAX_INVITE_PEERS) throw bad(`at most ${MAX_INVITE_PEERS} peers`);
  return `${INVITE_PREFIX}:${clusterId}:${key}${list.length > 0 ? `@${list.join(',')}` : ''}`;
}

/** Parses an invite (whitespace around it ignored). Throws ConfigError saying what is wrong, never echoing the key. */
export function parseInvite(text: string): Invite {
  if (typeof text !== 'string') throw bad('expected a string like pb1:<team>:<key>');
  const s = text.trim();
  if (s === '') throw bad('empty; paste the whole invite, like pb1:<team>:<key>');
  if (s.length > MAX_INVITE_CHARS) throw bad(`longer than ${MAX_INVITE_CHARS} characters`);
  const at = s.indexOf('@');
  const head = at >= 0 ? s.slice(0, at) : s;
  const tail = at >= 0 ? s.slice(at + 1) : null;
  const parts = head.split(':');
  if (parts[0] !== INVITE_PREFIX) {
    if (/^pb\d+$/.test(parts[0] ?? '')) throw bad(`version "${parts[0]}" is not known to this Peerboard (it reads ${INVITE_PREFIX}); update Peerboard`);
    throw bad(`it must start with "${INVITE_PREFIX}:"; paste the whole invite, like pb1:<team>:<key>`);
  }
  if (parts.length !== 3) throw bad('expected pb1:<team>:<key>, optionally followed by @ip:port,...');
  const clusterId = parts[1]!;
  const key = parts[2]!;
  if (!CLUSTER_ID_RE.test(clusterId)) throw bad('the team name must be 1 to 64 letters, digits, dots, dashes or underscores');
  if (!INVITE_KEY_RE.test(key)) throw bad(`the key must be 16 to 256 base64url characters (got ${key.length} characters); was the invite cut off?`);
  if (tail === null) return { clusterId, key };
  if (tail === '') throw bad('nothing after "@": expected ip:port,...');
  const raw = tail.split(',');
  if (raw.length > MAX_INVITE_PEERS) throw bad(`at most ${MAX_INVITE_PEERS} peers`);
  const peers = [...new Set(raw.map(checkPeer))];
  return { clusterId, key, peers };
}

/** True when the text looks like an invite rather than a bare key (the join screens accept both). */
export function looksLikeInvite(text: string): boolean {
  return /^pb\d+:/.test(text.trim());
}

/** The settings an invite is made from (a NodeConfig has them; not imported, so config.ts can import this file). */
export interface InviteConfig {
  clusterId: string;
  openCluster: boolean;
  discoveryPort: number;
  staticPeers: readonly string[];
}

/**
 * What NodeHandle.invite() answers, from the node's configuration, its address and the key it runs
 * with. The invite carries this node's discovery address and its static peers (at most MAX_INVITE_PEERS).
 */
export function inviteInfoOf(node: { config: InviteConfig; ip: string; peerPort: number; discoveryPort?: number }, key: string | null): InviteInfo {
  const { config } = node;
  const own = `${node.ip}:${node.discoveryPort ?? config.discoveryPort}`;
  const peers: string[] = [];
  for (const p of [own, ...config.staticPeers]) {
    try {
      const ok = checkPeer(p);
      if (!peers.includes(ok) && peers.length < MAX_INVITE_PEERS) peers.push(ok);
    } catch {
      // an address an invite cannot carry (e.g. IPv6) is left out
    }
  }
  if (key === null) return { clusterId: config.clusterId, open: config.openCluster, invite: null, peers };
  let invite: string | null = null;
  try {
    invite = formatInvite({ clusterId: config.clusterId, key, peers });
  } catch {
    invite = null; // a hand-written key with characters outside base64url: share it with --cluster-key instead
  }
  return { clusterId: config.clusterId, open: false, invite, peers };
}
