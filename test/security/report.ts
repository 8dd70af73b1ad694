// The campaign report: one row per attack (inputs, held or FAILED with why, crashes, hangs, lost,
// unauthorised writes, RSS growth per node), the totals, and a JSON form for --json.

export interface Row {
  attack: string;
  inputs: number;
  held: boolean;
  why: string[];
  crashes: number;
  hangs: number;
  noMaster: boolean;
  lost: number;
  unauthorised: number;
  /** node id -> MiB grown from before the attack to its peak during it */
  rssGrowthMiB: Record<string, number>;
  notes: string[];
  seconds: number;
}

export interface Report {
  mode: 'short' | 'long';
  startedAt: string;
  seconds: number;
  rows: Row[];
  totals: { inputs: number; failed: number; crashes: number; hangs: number; noMaster: number; lost: number; unauthorised: number };
}

export function totals(rows: Row[]): Report['totals'] {
  const sum = (f: (r: Row) => number): number => rows.reduce((s, r) => s + f(r), 0);
  return {
    inputs: sum((r) => r.inputs),
    failed: rows.filter((r) => !r.held).length,
    crashes: sum((r) => r.crashes),
    hangs: sum((r) => r.hangs),
    noMaster: rows.filter((r) => r.noMaster).length,
    lost: sum((r) => r.lost),
    unauthorised: sum((r) => r.unauthorised),
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function formatTable(rep: Report): string {
  const head = ['attack', 'inputs', 'result', 'crash', 'hang', 'lost', 'unauth', 'RSS growth MiB (n1/n2/n3)'];
  const lines: string[][] = rep.rows.map((r) => [
    r.attack,
    String(r.inputs),
    r.held ? 'held' : 'FAILED',
    String(r.crashes),
    String(r.hangs),
    String(r.lost),
    String(r.unauthorised),
    ['n1', 'n2', 'n3'].map((n) => (r.rssGrowthMiB[n] === undefined ? '-' : r.rssGrowthMiB[n]!.toFixed(0))).join('/'),
  ]);
  const t = rep.totals;
  lines.push(['TOTAL', String(t.inputs), `${t.failed} FAILED`, String(t.crashes), String(t.hangs), String(t.lost), String(t.unauthorised), '']);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]): string => l.map((c, i) => pad(c, widths[i]!)).join('  ').trimEnd();
  const out = [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.slice(0, -1).map(fmt), widths.map((w) => '-'.repeat(w)).join('  '), fmt(lines[lines.length - 1]!)];
  out.push('', `${rep.mode} mode, ${rep.seconds.toFixed(0)} s; clusters with no master after an attack: ${t.noMaster}`);
  const failed = rep.rows.filter((r) => !r.held);
  if (failed.length) {
    out.push('', 'Why:');
    for (const r of failed) out.push(`  ${r.attack}: ${r.why.join('; ')}`);
  }
  out.push('', 'Notes:');
  for (const r of rep.rows) if (r.notes.length) out.push(`  ${r.attack}: ${r.notes.join('; ')}`);
  return out.join('\n');
}
