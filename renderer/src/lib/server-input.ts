// Checking inventory input before it goes to the node: a server form, or a pasted / picked
// ServersData JSON file. Every problem names the entry and the field.
import type { ServerInput } from '../api/api-types.js';

export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
export const MAX_IMPORT_SERVERS = 10_000;
const HOST_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
const TEXT_FIELDS = ['app', 'ip', 'env', 'comment'] as const;

/** Returns the problem with one field set, or null when it is fine. */
export function serverInputProblem(s: ServerInput): string | null {
  if (!HOST_RE.test(s.host)) return 'Host: letters, digits, dots, dashes or underscores, starting with a letter or digit.';
  if (s.ip && !/^[0-9A-Fa-f:.]{2,45}$/.test(s.ip)) return 'IP: an IPv4 or IPv6 address, e.g. 192.168.0.10.';
  for (const f of TEXT_FIELDS) if ((s[f]?.length ?? 0) > 500) return `${f}: at most 500 characters.`;
  return null;
}

export type ImportParse = { ok: true; servers: ServerInput[] } | { ok: false; message: string };

/** Parses a ServersData document ({serversList:[...]}) or a bare list of servers. */
export function parseServersJson(text: string): ImportParse {
  if (text.length > MAX_IMPORT_BYTES) return { ok: false, message: `The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB.` };
  if (!text.trim()) return { ok: false, message: 'Paste a ServersData JSON document or pick a file.' };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `Not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const list = Array.isArray(doc) ? doc : typeof doc === 'object' && doc !== null ? (doc as { serversList?: unknown }).serversList : undefined;
  if (!Array.isArray(list)) return { ok: false, message: 'Expected {"serversList": [ ... ]} (seed 000 ServersData) or a list of servers.' };
  if (list.length === 0) return { ok: false, message: 'serversList is empty: nothing to import.' };
  if (list.length > MAX_IMPORT_SERVERS) return { ok: false, message: `At most ${MAX_IMPORT_SERVERS} servers per import.` };
  const servers: ServerInput[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of list.entries()) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, message: `Entry ${i + 1}: expected an object.` };
    const r = raw as Record<string, unknown>;
    if (typeof r.host !== 'string' || !r.host) return { ok: false, message: `Entry ${i + 1}: "host" must be a non-empty string.` };
    const s: ServerInput = { host: r.host };
    for (const f of TEXT_FIELDS) {
      if (r[f] === undefined || r[f] === null) continue;
      if (typeof r[f] !== 'string') return { ok: false, message: `Entry ${i + 1} (${r.host}): "${f}" must be a string.` };
      s[f] = r[f] as string;
    }
    if (r.maintenance !== undefined) {
      if (typeof r.maintenance !== 'boolean') return { ok: false, message: `Entry ${i + 1} (${r.host}): "maintenance" must be true or false.` };
      s.maintenance = r.maintenance;
    }
    const problem = serverInputProblem(s);
    if (problem) return { ok: false, message: `Entry ${i + 1} (${r.host}): ${problem}` };
    if (seen.has(s.host)) return { ok: false, message: `Entry ${i + 1}: host ${s.host} appears twice.` };
    seen.add(s.host);
    servers.push(s);
  }
  return { ok: true, servers };
}
