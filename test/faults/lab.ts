// The namespace lab: a bridge namespace (pbf-br), one namespace per node (pbf-nI) wired to it by a
// veth, and one veth from the root namespace (10.231.0.2) so the harness reaches the node APIs.
// Every name starts with pbf- and every address is in 10.231.0.0/24; nothing has a default route.
import { execFileSync, spawnSync } from 'node:child_process';

export const LAB_PREFIX = 'pbf-';
export const BRIDGE_NS = 'pbf-br';
export const HOST_IF = 'pbf-h';
export const HOST_IP = '10.231.0.2';
export const BROADCAST = '10.231.0.255';
const SUBNET_BITS = 24;

/** The address of node i (1-based). */
export function nodeIp(i: number): string {
  return `10.231.0.${10 + i}`;
}
export function nodeNs(i: number): string {
  return `pbf-n${i}`;
}

function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 10_000, ...(input !== undefined ? { input } : {}) });
}

/** Runs a command and ignores failure (cleanup of things that may not exist). */
function tryRun(cmd: string, args: string[]): void {
  spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
}

/** Why the lab cannot run here, or null when it can (root, `ip netns` and `nft` work). */
export function labUnavailableReason(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the fault lab needs root (network namespaces and nftables)';
  const ip = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 });
  if (ip.error || ip.status !== 0) return `\`ip netns\` is not available: ${ip.error?.message ?? ip.stderr.trim()}`;
  const nft = spawnSync('nft', ['--version'], { encoding: 'utf8', timeout: 5000 });
  if (nft.error || nft.status !== 0) return `\`nft\` is not available: ${nft.error?.message ?? nft.stderr.trim()}`;
  return null;
}

/** Namespaces left over from an earlier run (names starting with pbf-). */
export function leftoverNamespaces(): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 }).stdout ?? '';
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.startsWith(LAB_PREFIX));
}

/** Process ids living in one of our namespaces. */
export function namespacePids(ns: string): number[] {
  const out = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 5000 }).stdout ?? '';
  return out
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 1);
}

/**
 * Removes everything named pbf-*: processes inside our namespaces (only the lab starts any), the
 * namespaces, and the root-side veth. Idempotent; safe to call at start, at end and on a signal.
 */
export function teardownLab(): void {
  for (const ns of leftoverNamespaces()) {
    for (const pid of namespacePids(ns)) {
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    tryRun('ip', ['netns', 'del', ns]);
  }
  const link = spawnSync('ip', ['link', 'show', HOST_IF], { stdio: 'ignore', timeout: 5000 });
  if (link.status === 0) tryRun('ip', ['link', 'del', HOST_IF]);
}

/** Builds the bridge, n node namespaces and the harness veth. Tears down leftovers first. */
export function setupLab(n: number): void {
  teardownLab();
  run('ip', ['netns', 'add', BRIDGE_NS]);
  run('ip', ['-n', BRIDGE_NS, 'link', 'set', 'lo', 'up']);
  run('ip', ['-n', BRIDGE_NS, 'link', 'add', 'br0', 'type', 'bridge']);
  run('ip', ['-n', BRIDGE_NS, 'link', 'set', 'br0', 'up']);
  // the harness side: pbf-h stays in the root namespace, its peer joins the bridge
  run('ip', ['link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', 'pbf-hb']);
  run('ip', ['link', 'set', 'pbf-hb', 'netns', BRIDGE_NS]);
  run('ip', ['-n', BRIDGE_NS, 'link', 'set', 'pbf-hb', 'master', 'br0', 'up']);
  tryRun('sysctl', ['-q', '-w', `net.ipv6.conf.${HOST_IF}.disable_ipv6=1`]);
  run('ip', ['addr', 'add', `${HOST_IP}/${SUBNET_BITS}`, 'brd', BROADCAST, 'dev', HOST_IF]);
  run('ip', ['link', 'set', HOST_IF, 'up']);
  for (let i = 1; i <= n; i++) {
    const ns = nodeNs(i);
    run('ip', ['netns', 'add', ns]);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    run('ip', ['link', 'add', `${ns}b`, 'type', 'veth', 'peer', 'name', `${ns}e`]);
    run('ip', ['link', 'set', `${ns}b`, 'netns', BRIDGE_NS]);
    run('ip', ['-n', BRIDGE_NS, 'link', 'set', `${ns}b`, 'master', 'br0', 'up']);
    run('ip', ['link', 'set', `${ns}e`, 'netns', ns]);
    run('ip', ['-n', ns, 'link', 'set', `${ns}e`, 'name', 'eth0']);
    run('ip', ['-n', ns, 'addr', 'add', `${nodeIp(i)}/${SUBNET_BITS}`, 'brd', BROADCAST, 'dev', 'eth0']);
    run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    resetFilter(i);
  }
}

/** Replaces node i's nftables ruleset with an empty `inet pbf` table (input and output chains). */
export function resetFilter(i: number): void {
  const ns = nodeNs(i);
  tryRun('ip', ['netns', 'exec', ns, 'nft', 'delete', 'table', 'inet', 'pbf']);
  const script = [
    'table inet pbf {',
    '  chain input { type filter hook input priority 0; policy accept; }',
    '  chain output { type filter hook output priority 0; policy accept; }',
    '}',
  ].join('\n');
  run('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], script);
}

/** Node i drops every packet to and from the given node addresses (both directions, this side). */
export function blockPeers(i: number, ips: string[]): void {
  if (ips.length === 0) return;
  const ns = nodeNs(i);
  const set = `{ ${ips.join(', ')} }`;
  run('ip', ['netns', 'exec', ns, 'nft', `add rule inet pbf input ip saddr ${set} drop`]);
  run('ip', ['netns', 'exec', ns, 'nft', `add rule inet pbf output ip daddr ${set} drop`]);
}

/** Node i drops `percent`% of its packets to and from other nodes at random (the harness is spared). */
export function addLoss(i: number, percent: number): void {
  const p = Math.max(0, Math.min(100, Math.round(percent)));
  const ns = nodeNs(i);
  run('ip', ['netns', 'exec', ns, 'nft', `add rule inet pbf input ip saddr != ${HOST_IP} numgen random mod 100 < ${p} drop`]);
  run('ip', ['netns', 'exec', ns, 'nft', `add rule inet pbf output ip daddr != ${HOST_IP} numgen random mod 100 < ${p} drop`]);
}

/** The current ruleset of node i (for the report when something goes wrong). */
export function listFilter(i: number): string {
  return run('ip', ['netns', 'exec', nodeNs(i), 'nft', 'list', 'table', 'inet', 'pbf']);
}
