// One typed configuration for a node, with defaults and a comment on every setting. Validated at
// start: an unknown key or a bad value is a ConfigError that names the key.
import { homedir, hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { MAX_NODE_NAME_CHARS, NOT_PRINTABLE, nodeNameSchema } from './node-name.js';
import { MAX_INVITE_CHARS, parseInvite } from './security/invite.js';

/** Most old keys still accepted during a key rotation. */
export const MAX_PREVIOUS_CLUSTER_KEYS = 2;

const port = z.number().int().min(0).max(65535);
const ms = z.number().int().min(1).max(3_600_000);

/** "host:port" or "[v6]:port", port 1-65535 */
const hostPort = z
  .string()
  .regex(/^(?:[A-Za-z0-9._-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):[0-9]{1,5}$/, 'host:port such as 192.168.1.20:8781')
  .refine((p) => {
    const port = Number(p.slice(p.lastIndexOf(':') + 1));
    return port >= 1 && port <= 65535;
  }, 'host:port with a port from 1 to 65535');

export const configSchema = z.strictObject({
  /** Name of the cluster. Nodes with another clusterId on the same LAN ignore each other. */
  clusterId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash, underscore; 1 to 64 characters').default('peerboard'),
  /** Shared secret. When set, every UDP and TCP message is authenticated with HMAC-SHA256 and others are dropped. */
  clusterKey: z.string().min(16, 'at least 16 characters').max(256).optional(),
  /**
   * Run with no key on purpose (default false). Anyone on the network can then change the board,
   * elect a master or join as a voter; the node says so in its logs and UI. Not with clusterKey or invite.
   */
  openCluster: z.boolean().default(false),
  /**
   * A team invite (pb1:<clusterId>:<key>[@ip:port,...]) as printed by the first node or `peerboard invite`.
   * Sets clusterId and clusterKey and adds its addresses to staticPeers; a different explicit clusterId or clusterKey is an error.
   */
  invite: z
    .string()
    .max(MAX_INVITE_CHARS)
    .superRefine((text, ctx) => {
      try {
        parseInvite(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    })
    .optional(),
  /**
   * Old keys still ACCEPTED on receive during a key rotation (at most 2); messages are sent with clusterKey.
   * Rotate: new key in clusterKey and the old one here on every node, restart them one at a time, then drop the old key.
   */
  previousClusterKeys: z
    .array(z.string().min(16, 'at least 16 characters').max(256))
    .max(MAX_PREVIOUS_CLUSTER_KEYS, `at most ${MAX_PREVIOUS_CLUSTER_KEYS} old keys`)
    .default([]),
  /** Stable id of this node. Generated on first start and kept in the data directory when not given. */
  nodeId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/).optional(),
  /** Display name of this node (cluster view, history, CLI). Unset: user@host. 1-64 printable characters. */
  name: nodeNameSchema.optional(),
  /** The person using this node (desktop) or the host's operator (headless). */
  user: z.string().min(1).max(128).default(() => safeUser()),
  /** true for server hosts without UI; headless nodes are preferred as voters. */
  headless: z.boolean().default(true),
  /** Directory for the SQLite database (log, snapshots, term and vote). */
  dataDir: z.string().min(1).default(() => join(homedir(), '.peerboard', 'data')),
  /** Address the UDP and TCP peer sockets bind to. */
  peerBindAddress: z.union([z.ipv4(), z.ipv6()], { error: 'an IP address such as 0.0.0.0 or 192.168.1.10' }).default('0.0.0.0'),
  /**
   * IP other nodes use to reach this one. Unset: a hint only (an interface that looks like the LAN;
   * 127.0.0.1 with a loopback broadcast), and peers use the source address of what they receive.
   * Set: peers use exactly this address.
   */
  advertiseIP: z.ipv4('an IPv4 address such as 192.168.1.10').optional(),
  /** UDP port for discovery broadcasts (JoinRequest, Heartbeat, ...). Every node of a cluster uses the same one. */
  discoveryPort: port.default(8779),
  /** TCP port for FetchState/StateUpdate, votes and forwarded writes. 0 picks a free one. */
  peerPort: port.default(8780),
  /** HTTP backend port (seed 000: 8777). 0 picks a free one. */
  apiPort: port.default(8777),
  /** HTTP frontend port (seed 000: 8778): POST /updateRole and, in web mode, the board UI. 0 picks a free one; -1 disables it. */
  uiPort: z.number().int().min(-1).max(65535).default(8778),
  /** Address the HTTP ports bind to. Default: 127.0.0.1 without tokens, 0.0.0.0 with tokens. */
  httpBindAddress: z.union([z.ipv4(), z.ipv6()], { error: 'an IP address such as 127.0.0.1 or 0.0.0.0' }).optional(),
  /**
   * UDP broadcast address. Unset: the directed broadcast of every up IPv4 interface (see
   * `interfaces`), and 255.255.255.255 where it has a route. Use 127.255.255.255 to keep a test
   * cluster on one machine.
   */
  broadcastAddress: z.ipv4('an IPv4 address such as 192.168.1.255 or 127.255.255.255').optional(),
  /** With broadcastAddress unset: broadcast only on these interfaces (names, e.g. eth0); empty: every interface. */
  interfaces: z.array(z.string().regex(/^[A-Za-z0-9._@:-]{1,32}$/, 'an interface name such as eth0')).max(32).default([]),
  /** Extra discovery targets "ip:port" for networks without broadcast. */
  staticPeers: z
    .array(
      z
        .string()
        .regex(/^[^:\s]+:\d{1,5}$/, 'ip:port')
        .refine((p) => {
          const port = Number(p.slice(p.lastIndexOf(':') + 1));
          return port >= 1 && port <= 65535;
        }, 'ip:port with a port from 1 to 65535'),
    )
    .max(64)
    .default([]),
  /** Master heartbeat interval (seed 000: 2 s). */
  heartbeatIntervalMs: ms.default(2000),
  /**
   * A voter without news from its master for this long starts an election, the voters one eighth of it
   * apart by preference (failover order, CPU, id), with jitter. Voters refuse to unseat a master they
   * heard from within this minus one long-poll cycle (and 100 ms). 1.2 s: a hung master is replaced in
   * about 1.5 s, while unseating a live one takes two voters each missing three answers in a row on TCP
   * (5 % packet loss for an hour: see docs/benchmarks.md, soak).
   */
  electionTimeoutMs: ms.default(1200),
  /** How long the master may hold a FetchState open when nothing changed (long poll): also how often an idle follower hears from it. */
  fetchMaxWaitMs: ms.default(150),
  /** How long a fresh node listens for an existing cluster before the bootstrap rule applies. */
  discoveryWindowMs: ms.default(3000),
  /** Timeout of one peer request (vote, forwarded write). */
  requestTimeoutMs: ms.default(2000),
  /** How long a client write may wait for commit before it fails with TIMEOUT. */
  commitTimeoutMs: ms.default(5000),
  /** Largest voter set the master grows automatically (further nodes are non-voting replicas). */
  maxVoters: z.number().int().min(1).max(9).default(5),
  /** Election preference (seed 003): lower goes first. */
  failoverOrder: z.number().int().min(0).max(1_000_000).default(99),
  /** Token for admin operations (promote, inventory, voters). Unset: only loopback clients, all allowed. */
  adminToken: z.string().min(8).max(256).optional(),
  /** Token for ordinary users (reserve, release, read). */
  userToken: z.string().min(8).max(256).optional(),
  /** Where role changes are POSTed (seed 000's /updateRole). Empty string: do not post. */
  frontendUrl: z
    .string()
    .refine((u) => u === '' || /^https?:\/\/[^\s/]+(\/\S*)?$/.test(u), 'an http(s) URL such as http://localhost:8778, or empty for none')
    .default('http://localhost:8778'),
  /** Register this node and its user in the replicated registry and heartbeat (seeds 001 and 002), so the board shows who is online. */
  selfRegister: z.boolean().default(true),
  /** A ServersData JSON file to import when this node is master and the board is empty. */
  servers: z.string().optional(),
  /** Take a snapshot and compact the log every this many entries. */
  snapshotEvery: z.number().int().min(10).max(10_000_000).default(5000),
  /** History entries kept (oldest dropped first). */
  historyLimit: z.number().int().min(100).max(10_000_000).default(20000),
  /** Directory of the built renderer to serve on uiPort (web mode). */
  uiDir: z.string().optional(),
  /** Run monitoring checks here, as a location (issue 12). Default: yes on headless nodes, no on desktop nodes (they opt in). */
  monitor: z.boolean().optional(),
  /** This node's location label in monitoring verdicts. Default: the host name. */
  location: z.string().trim().min(1).max(100).regex(/^[^\p{Cc}]+$/u, 'no control characters').optional(),
  /** host:port this location connects to before it trusts its own DOWN results (a reference check); unset: none. */
  monitorReference: z.string().regex(/^(?:[A-Za-z0-9._-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):[0-9]{1,5}$/, 'host:port').optional(),
  /** Consecutive results that must agree before a location's status of a check flips (flap damping). */
  monitorDamping: z.number().int().min(1).max(10).default(2),
  /** Probes one location runs at once at most. */
  monitorConcurrency: z.number().int().min(1).max(1000).default(64),
  // -- worker loans between farms (issue 13, seed 004; docs: README "Worker loans") --
  /** TCP port of the loan protocol (seed 004: 8781): masters talk here, lent workers connect here. 0 picks a free one. */
  loanPort: port.default(8781),
  /** Neighbour farms' masters "host:port" (their loan port), asked first and in this order; LAN ones are found from heartbeats. */
  loanNeighbours: z.array(hostPort).max(32, 'at most 32 neighbours').default([]),
  /** Shared secret of the loan protocol (16+ chars): set the same one on both farms to trust each other. Unset: the open seed protocol. */
  loanKey: z.string().min(16, 'at least 16 characters').max(256).optional(),
  /** This node may be lent to another farm. Default: yes on headless nodes, no on desktop nodes. */
  lendable: z.boolean().optional(),
  /** The farm is saturated when its worst location's check start lag p99 stays above this (ms)... */
  loanLagMs: z.number().int().min(1).max(600_000).default(1000),
  /** ...or its busiest location's CPU (fraction of one core) stays above this... */
  loanCpu: z.number().min(0.01).max(64).default(0.8),
  /** ...for this long (ms); the load must stay below half of both as long before a worker goes home. */
  loanSustainMs: z.number().int().min(0).max(3_600_000).default(30_000),
  /** Workers this farm borrows in all, at most (1-64). */
  loanMaxWorkers: z.number().int().min(1).max(64).default(8),
  /** Lease a loan is granted for (ms, 1 s to 24 h); renewed while the farms hear each other. */
  loanLeaseMs: z.number().int().min(1000).max(86_400_000).default(600_000),
  /** Heartbeat between neighbour masters, and of a lent worker to its borrower (ms). */
  loanHeartbeatMs: z.number().int().min(10).max(60_000).default(2000),
  /** How long a granted worker has to connect to its borrower before the loan ends lost (ms). */
  loanConnectMs: z.number().int().min(10).max(600_000).default(10_000),
  /** This farm takes part in loans: it may borrow and lend workers. false: no loan port, no loans. */
  loans: z.boolean().default(true),
  /** pino log level. */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type NodeConfigInput = z.input<typeof configSchema>;
export type NodeConfig = z.output<typeof configSchema>;

function safeUser(): string {
  try {
    return userInfo().username || 'user';
  } catch {
    return process.env.USER ?? 'user';
  }
}

/** The name a node shows: its configured name, else user@host (cut to 64 characters, made printable). */
export function nodeDisplayName(config: Pick<NodeConfig, 'name' | 'user'>, host: string = safeHostname()): string {
  if (config.name !== undefined) return config.name.trim();
  const shown = `${config.user}@${host}`.replace(new RegExp(NOT_PRINTABLE.source, 'gu'), '').trim();
  return Array.from(shown).slice(0, MAX_NODE_NAME_CHARS).join('') || 'node';
}

function safeHostname(): string {
  try {
    return hostname().split('.')[0] || 'host';
  } catch {
    return 'host';
  }
}

/** Validates a configuration; throws ConfigError naming the first bad key. */
export function parseConfig(input: unknown): NodeConfig {
  const r = configSchema.safeParse(input ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown setting ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      return `${i.path.join('.') || '(root)'}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration: ${issues.join('; ')}`, { issues });
  }
  return checkLoans(applyInvite(r.data, (input ?? {}) as Record<string, unknown>));
}

/** This node may be lent to another farm: the `lendable` setting, else true on headless nodes only. */
export function lendableOf(config: Pick<NodeConfig, 'lendable' | 'headless'>): boolean {
  return config.lendable ?? config.headless;
}

/** The loan settings together: a lease must outlast the heartbeats that renew it. */
function checkLoans(config: NodeConfig): NodeConfig {
  if (config.loanLeaseMs < 4 * config.loanHeartbeatMs) {
    throw new ConfigError(
      `invalid configuration: loanLeaseMs (${config.loanLeaseMs}) must be at least 4 x loanHeartbeatMs (${config.loanHeartbeatMs}): leases are renewed by heartbeats`,
      { key: 'loanLeaseMs', other: 'loanHeartbeatMs' },
    );
  }
  return config;
}

/**
 * Checks the security settings together and moves an invite into clusterId, clusterKey and
 * staticPeers. Idempotent (a parsed config parses to itself), so it may run twice.
 */
function applyInvite(config: NodeConfig, input: Record<string, unknown>): NodeConfig {
  if (config.openCluster && (config.clusterKey !== undefined || config.invite !== undefined)) {
    const other = config.invite !== undefined ? 'invite' : 'clusterKey';
    throw new ConfigError(`invalid configuration: openCluster and ${other} exclude each other: an open cluster runs without a key; drop one of them`, {
      key: 'openCluster',
      other,
    });
  }
  if (config.invite === undefined) return config;
  const inv = parseInvite(config.invite);
  if (input.clusterId !== undefined && config.clusterId !== inv.clusterId) {
    throw new ConfigError(`invalid configuration: clusterId "${config.clusterId}" conflicts with invite (team "${inv.clusterId}"); drop one of them`, {
      key: 'clusterId',
      other: 'invite',
    });
  }
  if (config.clusterKey !== undefined && config.clusterKey !== inv.key) {
    throw new ConfigError('invalid configuration: clusterKey conflicts with invite (they hold different keys); drop one of them', {
      key: 'clusterKey',
      other: 'invite',
    });
  }
  const staticPeers = [...config.staticPeers];
  for (const p of inv.peers ?? []) if (!staticPeers.includes(p)) staticPeers.push(p);
  return { ...config, clusterId: inv.clusterId, clusterKey: inv.key, staticPeers };
}
