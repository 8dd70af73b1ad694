// The security campaign's namespace lab: the fault lab's layout (bridge namespace, one namespace per
// node, a root-side veth for the harness) plus an attacker namespace, under its own names (pbs-*) and
// range (10.233.0.0/24) so it can run next to the fault lab (pbf-*, 10.231.0.0/24) without a clash.
// test/faults/lab.ts hard-codes its prefix and range, so this file mirrors its setup instead of calling it.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { labUnavailableReason, namespacePids } from '../faults/lab.js';

export const SEC_PREFIX = 'pbs-';
export const SEC_BRIDGE_NS = 'pbs-br';
export const SEC_HOST_IF = 'pbs-h';
export const SEC_HOST_IP = '10.233.0.2';
export const SEC_BROADCAST = '10.233.0.255';
export const ATTACKER_NS = 'pbs-atk';
export const ATTACKER_IP = '10.233.0.66';
const SUBNET_BITS = 24;

export function secNodeIp(i: number): string {
  return `10.233.0.${10 + i}`;
}
export function secNodeNs(i: number): string {
  return `pbs-n${i}`;
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}
function tryRun(cmd: string, args: string[]): void {
  spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
}

/** Why the lab cannot run here (needs root, `ip netns`, `nft` and `mount`), or null. */
export function secLabUnavailableReason(): string | null {
  const r = labUnavailableReason();
  if (r) return r.replace('the fault lab', 'the security campaign');
  const m = spawnSync('mount', ['--version'], { encoding: 'utf8', timeout: 5000 });
  if (m.error || m.status !== 0) return '`mount` is not available (the disk-full attack mounts a tmpfs)';
  return null;
}

export function secNamespaces(): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 }).stdout ?? '';
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.startsWith(SEC_PREFIX));
}

/** Kills every process in a pbs-* namespace (only this harness starts any), deletes the namespaces and the veth. */
export function teardownSecLab(): void {
  for (const ns of secNamespaces()) {
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
  if (spawnSync('ip', ['link', 'show', SEC_HOST_IF], { stdio: 'ignore', timeout: 5000 }).status === 0) tryRun('ip', ['link', 'del', SEC_HOST_IF]);
}

/** One namespace on the bridge with address `ip` (veth `<ns>b` on the bridge side). */
function addMember(ns: string, ip: string): void {
  run('ip', ['netns', 'add', ns]);
  run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  run('ip', ['link', 'add', `${ns}b`, 'type', 'veth', 'peer', 'name', `${ns}e`]);
  run('ip', ['link', 'set', `${ns}b`, 'netns', SEC_BRIDGE_NS]);
  run('ip', ['-n', SEC_BRIDGE_NS, 'link', 'set', `${ns}b`, 'master', 'br0', 'up']);
  run('ip', ['link', 'set', `${ns}e`, 'netns', ns]);
  run('ip', ['-n', ns, 'link', 'set', `${ns}e`, 'name', 'eth0']);
  run('ip', ['-n', ns, 'addr', 'add', `${ip}/${SUBNET_BITS}`, 'brd', SEC_BROADCAST, 'dev', 'eth0']);
  run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
}

/** Builds the bridge, n node namespaces, the attacker namespace and the harness veth. */
export function setupSecLab(n: number): void {
  teardownSecLab();
  unmountLeftovers();
  run('ip', ['netns', 'add', SEC_BRIDGE_NS]);
  run('ip', ['-n', SEC_BRIDGE_NS, 'link', 'set', 'lo', 'up']);
  run('ip', ['-n', SEC_BRIDGE_NS, 'link', 'add', 'br0', 'type', 'bridge']);
  run('ip', ['-n', SEC_BRIDGE_NS, 'link', 'set', 'br0', 'up']);
  run('ip', ['link', 'add', SEC_HOST_IF, 'type', 'veth', 'peer', 'name', 'pbs-hb']);
  run('ip', ['link', 'set', 'pbs-hb', 'netns', SEC_BRIDGE_NS]);
  run('ip', ['-n', SEC_BRIDGE_NS, 'link', 'set', 'pbs-hb', 'master', 'br0', 'up']);
  tryRun('sysctl', ['-q', '-w', `net.ipv6.conf.${SEC_HOST_IF}.disable_ipv6=1`]);
  run('ip', ['addr', 'add', `${SEC_HOST_IP}/${SUBNET_BITS}`, 'brd', SEC_BROADCAST, 'dev', SEC_HOST_IF]);
  run('ip', ['link', 'set', SEC_HOST_IF, 'up']);
  for (let i = 1; i <= n; i++) addMember(secNodeNs(i), secNodeIp(i));
  addMember(ATTACKER_NS, ATTACKER_IP);
}

/** Unmounts the data tmpfs of an earlier run that died without cleaning up (device names pbs-n*). */
export function unmountLeftovers(): void {
  let mounts = '';
  try {
    mounts = readFileSync('/proc/mounts', 'utf8');
  } catch {
    return;
  }
  for (const line of mounts.split('\n')) {
    const [dev, dir, type] = line.split(' ');
    if (type === 'tmpfs' && dev?.startsWith(SEC_PREFIX) && dir) tryRun('umount', ['-l', dir]);
  }
}
