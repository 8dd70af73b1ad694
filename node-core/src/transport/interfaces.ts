// The node's IPv4 interfaces as discovery sees them: where broadcasts go (the directed broadcast of
// every up, non-loopback interface, as mDNS responders and memberlist do, instead of one
// 255.255.255.255 that has no route on a lab network or goes into a VPN), and which address to
// advertise as a hint (peers use the source address of what they receive from us).
import { networkInterfaces } from 'node:os';

export interface Ipv4Interface {
  name: string;
  address: string;
  netmask: string;
  /** the directed broadcast address: address | ~netmask */
  broadcast: string;
}

/** names of interfaces that are rarely the team's LAN: container bridges, VPN and virtual links */
const VIRTUAL_NAME = /^(docker|br-|virbr|veth|cni|flannel|cali|vxlan|tun|tap|wg|zt|utun|tailscale|vmnet|vboxnet|lxc|lxd|podman)/i;

function toInt(ip: string): number {
  return ip.split('.').reduce((n, o) => ((n << 8) | (Number(o) & 255)) >>> 0, 0);
}
function toIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** address | ~netmask; a /32 (point-to-point) has no broadcast of its own */
export function directedBroadcast(address: string, netmask: string): string | null {
  const mask = toInt(netmask);
  if (mask === 0xffffffff) return null;
  return toIp((toInt(address) | (~mask >>> 0)) >>> 0);
}

type OsInterfaces = ReturnType<typeof networkInterfaces>;

/**
 * Up, non-loopback IPv4 interfaces (Node lists only interfaces that are up and have an address),
 * optionally only those named in `only`.
 */
export function listIpv4Interfaces(only: readonly string[] = [], source: () => OsInterfaces = networkInterfaces): Ipv4Interface[] {
  const out: Ipv4Interface[] = [];
  for (const [name, addrs] of Object.entries(source())) {
    if (only.length > 0 && !only.includes(name)) continue;
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4' || a.internal) continue;
      const broadcast = directedBroadcast(a.address, a.netmask);
      if (broadcast) out.push({ name, address: a.address, netmask: a.netmask, broadcast });
    }
  }
  return out;
}

/**
 * The address to advertise when none is configured: an interface that looks like a LAN (not a
 * container bridge, VPN or virtual link by its name), else any. Only a hint: peers address a node
 * by the source address of what they receive from it.
 */
export function preferredAddress(list: readonly Ipv4Interface[]): string | undefined {
  return (list.find((i) => !VIRTUAL_NAME.test(i.name)) ?? list[0])?.address;
}
