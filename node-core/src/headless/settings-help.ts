// One line of help per node setting, matching the comments in config.ts. `--help` prints these;
// a test checks that every key of configSchema has a line here.
import type { NodeConfig } from '../config.js';

export const SETTINGS_HELP: Record<keyof NodeConfig, string> = {
  clusterId: 'Name of the cluster. Nodes with another clusterId on the same LAN ignore each other.',
  clusterKey: 'Shared secret (16+ chars): every UDP and TCP message is authenticated with HMAC-SHA256. Unset: the invite\'s, else cluster.key in the data directory (made by the founding node).',
  openCluster: 'Run with no key on purpose: anyone on the network can then change the board. Not with clusterKey or invite.',
  invite: 'Team invite pb1:<clusterId>:<key>[@ip:port,...] (from the first node or peerboard invite): sets clusterId and clusterKey, adds its peers to staticPeers.',
  previousClusterKeys: 'Old keys (at most 2, comma-separated) still accepted on receive during a key rotation.',
  nodeId: 'Stable id of this node. Generated on first start and kept in the data directory when not given.',
  name: 'Display name of this node in the cluster view, the history and the CLI (1-64 printable characters). Unset: user@host.',
  user: "The person using this node (desktop) or the host's operator (headless).",
  headless: 'true for server hosts without UI; headless nodes are preferred as voters.',
  dataDir: 'Directory for the SQLite database (log, snapshots, term and vote).',
  peerBindAddress: 'Address the UDP and TCP peer sockets bind to.',
  advertiseIP: 'IP other nodes use to reach this one. Unset: a hint (a LAN-looking interface); peers use the source address of what they receive.',
  discoveryPort: 'UDP port for discovery broadcasts. Every node of a cluster uses the same one.',
  peerPort: 'TCP port for FetchState/StateUpdate, votes and forwarded writes. 0 picks a free one.',
  apiPort: 'HTTP backend port (seed 000: 8777). 0 picks a free one.',
  uiPort: 'HTTP frontend port (seed 000: 8778): /updateRole and the web UI. 0 picks a free one; -1 disables it.',
  httpBindAddress: 'Address the HTTP ports bind to. Default: 127.0.0.1 without tokens, 0.0.0.0 with tokens.',
  broadcastAddress: 'UDP broadcast address. Unset: every interface\'s directed broadcast, and 255.255.255.255 where routed. 127.255.255.255 keeps a test cluster on one machine.',
  interfaces: 'With broadcastAddress unset: broadcast only on these interfaces (comma-separated names, e.g. eth0,wlan0); empty: all.',
  staticPeers: 'Extra discovery targets "ip:port" (comma-separated) for networks without broadcast.',
  heartbeatIntervalMs: 'Master heartbeat interval in ms (seed 000: 2 s).',
  electionTimeoutMs: 'A slave without news from its master for this long (ms, randomised up to 2x) starts an election.',
  fetchMaxWaitMs: 'How long (ms) the master may hold a FetchState open when nothing changed (long poll).',
  discoveryWindowMs: 'How long (ms) a fresh node listens for an existing cluster before the bootstrap rule applies.',
  requestTimeoutMs: 'Timeout (ms) of one peer request (vote, forwarded write).',
  commitTimeoutMs: 'How long (ms) a client write may wait for commit before it fails with TIMEOUT.',
  maxVoters: 'Largest voter set the master grows automatically (further nodes are non-voting replicas).',
  failoverOrder: 'Election preference (seed 003): lower goes first.',
  adminToken: 'Token for admin operations (promote, inventory, voters). Unset: only loopback clients, all allowed.',
  userToken: 'Token for ordinary users (reserve, release, read).',
  frontendUrl: "Where role changes are POSTed (seed 000's /updateRole). Empty string: do not post.",
  selfRegister: 'Register this node and its user in the replicated registry and heartbeat (seeds 001/002), so the board shows who is online.',
  servers: 'A ServersData JSON file to import when this node is master and the board is empty.',
  snapshotEvery: 'Take a snapshot and compact the log every this many entries.',
  historyLimit: 'History entries kept (oldest dropped first).',
  uiDir: 'Directory of the built renderer to serve on uiPort (web mode). Default: dist/renderer; until it holds a build, / says how to make one.',
  logLevel: 'pino log level: fatal, error, warn, info, debug, trace or silent.',
};

/** Settings whose values are secrets: never printed back. */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set(['clusterKey', 'invite', 'previousClusterKeys', 'adminToken', 'userToken']);
