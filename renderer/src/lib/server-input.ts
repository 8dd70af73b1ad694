// Checking inventory input before it goes to the node: a server form, or a pasted / picked
// ServersData JSON file. The rules are the node's (POST /api/servers/import and the board's
// servers-import): the same documents pass and the same ones are refused, each problem naming the
// entry and the field.
import type { ServerInput } from '../api/api-types.js';

export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
export const MAX_IMPORT_SERVERS = 10_000;
/** the board's host names: 1-128 letters, digits, dots, dashes or underscores */
const HOST_RE = /^[A-Za-z0-9._-]{1,128}$/;
/** the board's limits on the inventory's text fields */
export const FIELD_LIMITS = { app: 128, ip: 64, env: 64, comment: 1000 } as const;
const TEXT_FIELDS = ['app', 'ip', 'env', 'comment'] as const;
const isStr = (max: number) => (v: unknown) => typeof v === 'string' && v.length <= max;
const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
/**
 * seed 000 state fields an exported ServersData row carries: accepted and ignored, as the node
 * does, when they have the node's types (a board exported from another node imports as it is)
 */
const STATE_FIELDS: Record<string, [(v: unknown) => boolean, string]> = {
  available: [(v) => typeof v === 'boolean', 'true or false'],
  action: [isStr(64), 'a string of at most 64 characters'],
  since: [isNum, 'a number'],
  holder: [(v) => v === null || isStr(128)(v), 'a name or null'],
  until: [(v) => v === null || isNum(v), 'a number or null'],
  queue: [(v) => Array.isArray(v) && v.length <= 1000, 'a list'],
  holderNode: [(v) => v === null || isStr(128)(v), 'a node id or null'],
};
const TOP_FIELDS = new Set(['lastUpdate', 'serversList', 'replace']);

/** Returns the problem with one field set, or null when it is fine. */
export function serverInputProblem(s: ServerInput): string | null {
  if (!HOST_RE.test(s.host)) return 'Host: 1 to 128 letters, digits, dots, dashes or underscores.';
  for (const f of TEXT_FIELDS) if ((s[f]?.length ?? 0) > FIELD_LIMITS[f]) return `${f}: at most ${FIELD_LIMITS[f]} characters.`;
  return null;
}

export type ImportParse = { ok: true; servers: ServerInput[] } | { ok: false; message: string };

/** Parses a ServersData document ({"serversList": [...]}, as the node's import accepts it). */
export function parseServersJson(text: string): ImportParse {
  if (text.length > MAX_IMPORT_BYTES) return { ok: false, message: `The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB.` };
  if (!text.trim()) return { ok: false, message: 'Paste a ServersData JSON document or pick a file.' };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `Not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (Array.isArray(doc)) return { ok: false, message: 'Expected a ServersData document {"serversList": [ ... ]}, not a bare list: wrap the list in {"serversList": ...}.' };
  if (typeof doc !== 'object' || doc === null) return { ok: false, message: 'Expected a ServersData document {"serversList": [ ... ]}.' };
  const top = doc as Record<string, unknown>;
  const unknownTop = Object.keys(top).filter((k) => !TOP_FIELDS.has(k));
  if (unknownTop.length > 0) return { ok: false, message: `Unknown field ${quoteList(unknownTop)}: a ServersData document has serversList (and lastUpdate).` };
  if (top.lastUpdate !== undefined && typeof top.lastUpdate !== 'number') return { ok: false, message: '"lastUpdate" must be a number.' };
  const list = top.serversList;
  if (!Array.isArray(list)) return { ok: false, message: 'Expected {"serversList": [ ... ]} (seed 000 ServersData).' };
  if (list.length === 0) return { ok: false, message: 'serversList is empty: nothing to import.' };
  if (list.length > MAX_IMPORT_SERVERS) return { ok: false, message: `At most ${MAX_IMPORT_SERVERS} servers per import.` };
  const servers: ServerInput[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of list.entries()) {
    const at = `Entry ${i + 1}`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, message: `${at}: expected an object with at least "host".` };
    const r = raw as Record<string, unknown>;
    if (typeof r.host !== 'string' || !r.host) return { ok: false, message: `${at}: "host" must be a non-empty string.` };
    const name = `${at} (${r.host})`;
    const unknown = Object.keys(r).filter((k) => k !== 'host' && k !== 'maintenance' && !(TEXT_FIELDS as readonly string[]).includes(k) && !Object.hasOwn(STATE_FIELDS, k));
    if (unknown.length > 0) return { ok: false, message: `${name}: unknown field ${quoteList(unknown)} (known: host, app, ip, env, comment, maintenance).` };
    for (const [k, [valid, what]] of Object.entries(STATE_FIELDS)) {
      if (r[k] !== undefined && !valid(r[k])) return { ok: false, message: `${name}: "${k}" must be ${what}.` };
    }
    const s: ServerInput = { host: r.host };
    for (const f of TEXT_FIELDS) {
      if (r[f] === undefined) continue;
      if (typeof r[f] !== 'string') return { ok: false, message: `${name}: "${f}" must be a string.` };
      s[f] = r[f] as string;
    }
    if (r.maintenance !== undefined) {
      if (typeof r.maintenance !== 'boolean') return { ok: false, message: `${name}: "maintenance" must be true or false.` };
      s.maintenance = r.maintenance;
    }
    const problem = serverInputProblem(s);
    if (problem) return { ok: false, message: `${name}: ${problem}` };
    if (seen.has(s.host)) return { ok: false, message: `${at}: host ${s.host} appears twice.` };
    seen.add(s.host);
    servers.push(s);
  }
  return { ok: true, servers };
}

function quoteList(keys: string[]): string {
  return keys
    .slice(0, 3)
    .map((k) => `"${k.slice(0, 40)}"`)
    .join(', ');
}
