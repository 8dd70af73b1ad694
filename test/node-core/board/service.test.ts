// The board service on its own: requests are checked with the board's schemas before any submit, the
// command it builds carries durations for the state machine, and every failure is a value.
import { describe, expect, it } from 'vitest';
import { BoardService, INTERNAL_MESSAGE, type SubmitOptions } from '../../../node-core/src/board/service.js';
import type { BoardCommand } from '../../../node-core/src/board/types.js';
import { PeerboardError } from '../../../node-core/src/errors.js';

const row = (host: string) => ({ host, app: '', ip: '', env: '', available: false, action: 'Reserved', since: 0, comment: '', holder: 'ann', until: 100, maintenance: false, queue: [], holderNode: null });

function writer(answer: (cmd: BoardCommand) => unknown) {
  const seen: Array<{ cmd: BoardCommand; opts: SubmitOptions }> = [];
  return {
    seen,
    submit: async (cmd: BoardCommand, opts: SubmitOptions) => {
      seen.push({ cmd, opts });
      return { index: seen.length, value: answer(cmd) };
    },
  };
}

describe('BoardService', () => {
  it('builds the command with the duration (the state machine sets the end) and passes key and caller', async () => {
    const w = writer((c) => ({ server: row((c as { host: string }).host) }));
    const r = await new BoardService(w).extend({ host: 'h1', user: ' ann ', durationSec: 900, idempotencyKey: 'k1' }, { caller: 'user' });
    expect(r.ok).toBe(true);
    expect(w.seen).toEqual([{ cmd: { type: 'extend', host: 'h1', user: 'ann', durationSec: 900 }, opts: { user: 'ann', reqId: 'k1', caller: 'user' } }]);
  });

  it('refuses a bad request as BAD_REQUEST naming the field, without submitting', async () => {
    const w = writer(() => ({}));
    const r = await new BoardService(w).reserve({ host: 'h1', user: 'ann', durationSec: 31 * 86400 });
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', details: { field: 'durationSec' } } });
    expect(!r.ok && r.error.message).toMatch(/^invalid reserve request: durationSec: /);
    expect(w.seen).toHaveLength(0);
  });

  it('a forced release by a user-token caller is FORBIDDEN before any submit', async () => {
    const w = writer(() => ({}));
    const r = await new BoardService(w).release({ host: 'h1', user: 'bob', force: true }, { caller: 'user' });
    expect(r).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(w.seen).toHaveLength(0);
  });

  it('passes a PeerboardError on as its value; hides an unexpected exception and reports it', async () => {
    const refused = new BoardService({ submit: async () => Promise.reject(new PeerboardError('CONFLICT', 'h1 is reserved by ann')) });
    expect(await refused.reserve({ host: 'h1', user: 'bob', durationSec: 60 })).toEqual({ ok: false, error: { code: 'CONFLICT', message: 'h1 is reserved by ann', details: {} } });
    const reported: unknown[] = [];
    const broken = new BoardService({ submit: async () => Promise.reject(new Error('secret path /var/db')) }, { onInternalError: (err) => reported.push(err) });
    const r = await broken.reserve({ host: 'h1', user: 'bob', durationSec: 60 });
    expect(r).toEqual({ ok: false, error: { code: 'INTERNAL_ERROR', message: INTERNAL_MESSAGE, details: {} } });
    expect(reported).toHaveLength(1);
  });

  it('an answer without the server row the board declares is INTERNAL_ERROR, not a guess', async () => {
    const r = await new BoardService(writer(() => ({ something: 'else' }))).reserve({ host: 'h1', user: 'ann', durationSec: 60 });
    expect(r).toMatchObject({ ok: false, error: { code: 'INTERNAL_ERROR', details: { type: 'reserve', host: 'h1' } } });
  });

  it('inventory acts as the named admin, default "admin"; import counts the rows it named', async () => {
    const w = writer(() => ({ added: 1, updated: 1, removed: 0 }));
    const s = new BoardService(w);
    expect(await s.importServers({ serversList: [{ host: 'a' }, { host: 'b' }] }, { user: 'dana' })).toEqual({ ok: true, value: { count: 2 } });
    await s.removeServer('a');
    expect(w.seen.map((x) => x.opts.user)).toEqual(['dana', 'admin']);
  });
});
