// Which addresses discovery broadcasts to and which one a node advertises (issue 10), on an injected
// interface list, and broadcast() on a real socket with such a list.
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../node-core/src/log.js';
import { directedBroadcast, listIpv4Interfaces, preferredAddress, type Ipv4Interface } from '../../../node-core/src/transport/interfaces.js';
import { NetTransport } from '../../../node-core/src/transport/net-transport.js';
import { waitFor } from '../../cluster/cluster-helpers.js';

const os = (): ReturnType<typeof import('node:os').networkInterfaces> => ({
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
  docker0: [{ address: '172.17.0.1', netmask: '255.255.0.0', family: 'IPv4', mac: '02:42:00:00:00:01', internal: false, cidr: '172.17.0.1/16' }],
  eth0: [
    { address: '192.168.1.23', netmask: '255.255.255.0', family: 'IPv4', mac: '00:11:22:33:44:55', internal: false, cidr: '192.168.1.23/24' },
    { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '00:11:22:33:44:55', internal: false, cidr: 'fe80::1/64', scopeid: 2 },
  ],
  tun0: [{ address: '10.8.0.5', netmask: '255.255.255.255', family: 'IPv4', mac: '00:00:00:00:00:00', internal: false, cidr: '10.8.0.5/32' }],
});

describe('interfaces', () => {
  it('computes directed broadcasts; a point-to-point /32 has none', () => {
    expect(directedBroadcast('192.168.1.23', '255.255.255.0')).toBe('192.168.1.255');
    expect(directedBroadcast('10.1.2.3', '255.255.240.0')).toBe('10.1.15.255');
    expect(directedBroadcast('172.17.0.1', '255.255.0.0')).toBe('172.17.255.255');
    expect(directedBroadcast('10.8.0.5', '255.255.255.255')).toBeNull();
  });

  it('lists up, non-loopback IPv4 interfaces with a broadcast, optionally only the named ones', () => {
    expect(listIpv4Interfaces([], os).map((i) => `${i.name}:${i.broadcast}`)).toEqual(['docker0:172.17.255.255', 'eth0:192.168.1.255']);
    expect(listIpv4Interfaces(['eth0'], os).map((i) => i.name)).toEqual(['eth0']);
  });

  it('advertises a LAN-looking interface, not a Docker bridge listed first', () => {
    expect(preferredAddress(listIpv4Interfaces([], os))).toBe('192.168.1.23');
    expect(preferredAddress(listIpv4Interfaces(['docker0'], os))).toBe('172.17.0.1');
    expect(preferredAddress([])).toBeUndefined();
  });

  it('broadcast() sends to every interface\'s broadcast address on real sockets', async () => {
    const got: string[] = [];
    const rx = createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((r) => rx.bind(0, '127.255.255.255', () => r()));
    rx.on('message', (m) => got.push(m.toString()));
    const port = rx.address().port;
    // two "interfaces" whose broadcast addresses are on loopback (the network-safety rule)
    const list: Ipv4Interface[] = [
      { name: 'a0', address: '127.0.0.1', netmask: '255.0.0.0', broadcast: '127.255.255.255' },
      { name: 'b0', address: '127.1.0.1', netmask: '255.255.0.0', broadcast: '127.1.255.255' },
    ];
    const t = new NetTransport({ bindAddress: '127.0.0.1', packetPort: 0, streamPort: 0, logger: silentLogger(), listInterfaces: () => list, interfaces: ['a0', 'b0'] });
    await t.start(() => undefined, async () => Buffer.alloc(0));
    try {
      expect(t.broadcastTargets()).toEqual(['127.255.255.255', '127.1.255.255']);
      // send to the receiver's port through the same targets
      for (const ip of t.broadcastTargets()) t.sendPacket({ ip, port }, Buffer.from(`hello ${ip}`), true);
      await waitFor('the loopback broadcast arrived', () => got.includes('hello 127.255.255.255'));
    } finally {
      await t.close();
      rx.close();
    }
  });
});
