// The Admin UI's import check and the node's agree: every document of a corpus is accepted by both
// (POST /api/servers/import's schema, then the board's servers-import rows) or refused by both.
import { describe, expect, it } from 'vitest';
import { serverInputSchema } from '../../../node-core/src/board/commands.js';
import { importBody } from '../../../node-core/src/http/schemas.js';
import { parseServersJson } from '../../../renderer/src/lib/server-input.js';

const INVENTORY = ['host', 'app', 'ip', 'env', 'comment', 'maintenance'] as const;

/** What the node does with a document: the HTTP schema, then each row's inventory fields through the board's schema. */
function nodeAccepts(doc: unknown): boolean {
  const b = importBody.safeParse(doc);
  if (!b.success) return false;
  if (b.data.serversList.length === 0) return false; // the UI's one extra refusal: an import of nothing
  return b.data.serversList.every((row) => {
    const inv: Record<string, unknown> = {};
    for (const k of INVENTORY) if (row[k] !== undefined) inv[k] = row[k];
    return serverInputSchema.safeParse(inv).success;
  });
}

const row = { host: 'server-01', app: 'Mid', ip: '192.168.0.10', env: 'preprod' };
const CORPUS: unknown[] = [
  { serversList: [row] },
  { lastUpdate: 1700000000, serversList: [row, { host: 'server-02' }] },
  { serversList: [{ host: 'only-host' }] },
  { serversList: [row], replace: true },
  { serversList: [{ ...row, available: false, action: 'Reserved', since: 5, holder: 'bob', until: 99, queue: [], holderNode: 'n1', comment: 'x', maintenance: true }] },
  { serversList: [{ ...row, ip: 'dhcp' }] },
  { serversList: [{ ...row, comment: 'c'.repeat(1000) }] },
  { serversList: [{ host: 'h'.repeat(128) }] },
  { serversList: [{ host: '.dot-start' }] },
  // refused
  [row],
  { serversList: [] },
  { servers: [row] },
  { serversList: [row], extra: 1 },
  { serversList: [{ ...row, hostname: 'typo' }] },
  { serversList: [{ host: '' }] },
  { serversList: [{ host: 'bad host' }] },
  { serversList: [{ host: 'h'.repeat(129) }] },
  { serversList: [{ host: 'a/b' }] },
  { serversList: [{ ...row, app: 'a'.repeat(129) }] },
  { serversList: [{ ...row, ip: 'i'.repeat(65) }] },
  { serversList: [{ ...row, env: 'e'.repeat(65) }] },
  { serversList: [{ ...row, comment: 'c'.repeat(1001) }] },
  { serversList: [{ ...row, app: null }] },
  { serversList: [{ ...row, env: 3 }] },
  { serversList: [{ ...row, maintenance: 'yes' }] },
  { serversList: [{ ...row, available: 'no' }] },
  { serversList: [{ ...row, holder: 5 }] },
  { serversList: [{ ...row, action: 'a'.repeat(65) }] },
  { serversList: [row, row] },
  { serversList: ['server-01'] },
  { serversList: [row], lastUpdate: 'yesterday' },
  { serversList: 'all' },
  null,
  42,
];

describe('import check parity with the node', () => {
  it.each(CORPUS.map((doc, i) => [i, doc]))('document %i: the UI and the node agree', (_i, doc) => {
    const ui = parseServersJson(JSON.stringify(doc));
    expect(ui.ok, `${JSON.stringify(doc).slice(0, 120)}: ${ui.ok ? 'UI accepts' : ui.message}`).toBe(nodeAccepts(doc));
  });

  it('sends only the inventory fields of an accepted row', () => {
    const r = parseServersJson(JSON.stringify({ serversList: [{ ...row, available: true, holder: null }] }));
    expect(r).toEqual({ ok: true, servers: [row] });
  });
});
