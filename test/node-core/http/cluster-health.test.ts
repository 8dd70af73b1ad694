// Which members /api/cluster/health may probe (cluster-health.ts): only cluster-view members, at an
// IP literal from the view, and only where the probe can reach; never a redirect.
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../node-core/src/config.js';
import { probe, probeTargets } from '../../../node-core/src/http/cluster-health.js';
import type { ClusterViewEntry } from '../../../node-core/src/protocol/messages.js';

function member(nodeId: string, nodeIP: string, apiPort = 8777): ClusterViewEntry {
  return { nodeId, nodeIP, role: 'slave', peerPort: 8779, apiPort, headless: true, voter: true, lastHeartbeat: 1, term: 1, matchIndex: 0, reachable: true };
}

describe('probeTargets', () => {
  const view = [member('me', '10.0.0.1', 8777), member('lan', '10.0.0.2'), member('local', '127.0.0.1', 9001), member('named', 'evil.example'), member('noport', '10.0.0.3', 0)];

  it('loopback-only HTTP (no tokens): itself over loopback and members on this machine, no LAN member', () => {
    const t = probeTargets(view, 'me', parseConfig({}), 8777);
    expect(Object.fromEntries(t)).toEqual({ me: 'http://127.0.0.1:8777', local: 'http://127.0.0.1:9001' });
  });

  it('HTTP beyond loopback (tokens set): every member with an IP and a port, never a host name', () => {
    const t = probeTargets(view, 'me', parseConfig({ userToken: 'u'.repeat(16) }), 8777);
    expect(Object.fromEntries(t)).toEqual({ me: 'http://127.0.0.1:8777', lan: 'http://10.0.0.2:8777', local: 'http://127.0.0.1:9001' });
  });

  it('itself through the address it is bound to', () => {
    const t = probeTargets([member('me', '10.0.0.1')], 'me', parseConfig({ httpBindAddress: '10.0.0.1' }), 8123);
    expect(t.get('me')).toBe('http://10.0.0.1:8123');
  });
});

describe('probe', () => {
  it('times an answer and never follows a redirect', async () => {
    const hits: string[] = [];
    const srv = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(302, { location: '/elsewhere' }).end();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    try {
      const ms = await probe(`http://127.0.0.1:${(srv.address() as { port: number }).port}`, 1000);
      expect(ms).toBeGreaterThan(0);
      expect(hits).toEqual(['/api/health']);
    } finally {
      srv.close();
    }
  });
});
