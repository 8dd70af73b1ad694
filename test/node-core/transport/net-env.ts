// Loopback NetTransport nodes for the contract and the real-socket tests, and a real-time waitFor.
import { silentLogger } from '../../../node-core/src/log.js';
import { NetTransport, type NetTransportOptions } from '../../../node-core/src/transport/net-transport.js';
import type { RequestHandler } from '../../../node-core/src/transport/transport.js';
import type { ContractEnv, ContractNode, Host } from './transport-contract.js';

export const HOST_IP: Record<Host, string> = { a: '127.0.0.1', b: '127.0.0.2', c: '127.0.0.3' };
export const BROADCAST = '127.255.255.255';

export async function waitReal(cond: () => boolean, maxMs: number): Promise<boolean> {
  const deadline = performance.now() + maxMs;
  while (!cond()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/** Loopback nodes; the first one picks a free discovery port (bound to 0), the others share it. */
export function netEnv(extra: Partial<NetTransportOptions> = {}): ContractEnv & { nodes: ContractNode[] } {
  let packetPort = 0;
  const nodes: ContractNode[] = [];
  return {
    nodes,
    async start(host, limits) {
      const ip = HOST_IP[host];
      let handler: RequestHandler = async (d) => Buffer.concat([Buffer.from('echo:'), d]);
      const node = { packets: [], drops: [], handle: (h: RequestHandler) => (handler = h) } as unknown as ContractNode;
      const t = new NetTransport({
        bindAddress: ip,
        packetPort,
        streamPort: 0,
        broadcastAddress: BROADCAST,
        logger: silentLogger(),
        onDrop: (reason, from) => node.drops.push({ reason, from }),
        ...extra,
        ...(limits ? { limits: { ...extra.limits, ...limits } } : {}),
      });
      const ports = await t.start(
        (data, from) => node.packets.push({ data: data.toString(), from }),
        (d, f) => handler(d, f),
      );
      packetPort = ports.packetPort;
      Object.assign(node, { transport: t, packetAddr: { ip, port: ports.packetPort }, streamAddr: { ip, port: ports.streamPort } });
      nodes.push(node);
      return node;
    },
    kill: (node) => node.transport.close(),
    waitFor: waitReal,
    now: () => performance.now(),
    async teardown() {
      await Promise.all(nodes.map((n) => n.transport.close()));
    },
  };
}
