// The NodeHandle contract: what the hosts of a node (HTTP, the Electron main process) rely on, run
// against the real PeerNode and against every in-test NodeHandle, so that the fakes cannot drift.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeHandle } from '../../node-core/src/api/node-handle.js';
import type { PeerEvent } from '../../node-core/src/api/peer-api.js';
import type { CommandValues } from '../../node-core/src/board/types.js';
import { PeerboardError } from '../../node-core/src/errors.js';

/** The part of NodeHandle the board's hosts use (the test FakeNodes implement at least this). */
export type BoardHandle = Pick<NodeHandle, 'events' | 'view' | 'status' | 'server' | 'history' | 'submit'>;

export type NodeHandleFactory = () => Promise<{ node: BoardHandle; close(): Promise<void> }>;

async function refusal(p: Promise<unknown>): Promise<PeerboardError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PeerboardError);
    return err as PeerboardError;
  }
  throw new Error('expected a refusal');
}

export function nodeHandleContract(name: string, factory: NodeHandleFactory): void {
  describe(`NodeHandle contract: ${name}`, () => {
    let node: BoardHandle;
    let close: () => Promise<void>;
    let n = 0;
    const fresh = async (): Promise<string> => {
      const host = `nh-${++n}-${Math.random().toString(36).slice(2, 6)}`;
      await node.submit({ type: 'server-add', server: { host } }, { user: 'admin' });
      return host;
    };

    beforeAll(async () => {
      ({ node, close } = await factory());
    });
    afterAll(async () => {
      await close?.();
    });

    it('view() is status() plus the rows; server() is one row or undefined', async () => {
      const host = await fresh();
      const { serversData, userRequests, ...rest } = node.view();
      expect(serversData.serversList.some((s) => s.host === host)).toBe(true);
      expect(Array.isArray(userRequests)).toBe(true);
      expect(Object.keys(node.status()).sort()).toEqual(Object.keys(rest).sort());
      expect(node.server(host)).toMatchObject({ host, holder: null });
      expect(node.server('no-such-host')).toBeUndefined();
    });

    it('submit answers the board\'s typed value (CommandValues) with the log index', async () => {
      const host = await fresh();
      const r = await node.submit({ type: 'reserve', host, user: 'alice', durationSec: 600 }, { user: 'alice' });
      expect(r.index).toBeGreaterThan(0);
      const v = r.value as CommandValues['reserve'];
      expect(v.server).toMatchObject({ host, holder: 'alice' });
      const e = await node.submit({ type: 'extend', host, user: 'alice', durationSec: 60 }, { user: 'alice' });
      expect((e.value as CommandValues['extend']).server.until).toBe(v.server.until! + 60);
      const rel = await node.submit({ type: 'release', host, user: 'alice' }, { user: 'alice' });
      expect(rel.value).toMatchObject({ released: 'alice', grantedTo: null });
    });

    it('a refusal throws a PeerboardError with the board\'s code; a bad command never reaches the log', async () => {
      const host = await fresh();
      await node.submit({ type: 'reserve', host, user: 'alice', durationSec: 600 }, { user: 'alice' });
      expect((await refusal(node.submit({ type: 'release', host, user: 'bob' }, { user: 'bob' }))).code).toBe('FORBIDDEN');
      expect((await refusal(node.submit({ type: 'reserve', host, user: 'bob', durationSec: 60 }, { user: 'bob' }))).code).toBe('CONFLICT');
      const before = node.history({ host, limit: 500 }).total;
      const bad = await refusal(node.submit({ type: 'reserve', host, user: 'bob', durationSec: 31 * 86400 }, { user: 'bob' }));
      expect(bad.code).toBe('BAD_REQUEST');
      expect(node.history({ host, limit: 500 }).total).toBe(before);
    });

    it('the same reqId is applied once', async () => {
      const host = await fresh();
      const reqId = `once-${host}`;
      const a = await node.submit({ type: 'reserve', host, user: 'alice', durationSec: 600 }, { user: 'alice', reqId });
      const b = await node.submit({ type: 'reserve', host, user: 'alice', durationSec: 600 }, { user: 'alice', reqId });
      expect(b.value).toEqual(a.value);
      expect(node.history({ host, operation: 'reserve' }).total).toBe(1);
    });

    it('emits a change event naming the applied operation', async () => {
      const host = await fresh();
      const events: PeerEvent[] = [];
      const listener = (e: PeerEvent): void => void events.push(e);
      node.events.on('event', listener);
      try {
        await node.submit({ type: 'maintenance', host, on: true }, { user: 'admin' });
        const deadline = Date.now() + 5000;
        const seen = () => events.find((e) => e.type === 'change' && e.request?.serverHost === host && e.request.operation === 'maintenance');
        while (!seen() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        expect(seen()).toBeDefined();
      } finally {
        node.events.off('event', listener);
      }
    });
  });
}
