// A tiny JSON path walker for http checks: "$.a.b[0].c", "a.b[0].c", "$['a key'][2]". No filters, no
// wildcards, no eval: a path is parsed into keys and indexes, then walked over own properties only.

/** a longer path is refused */
export const MAX_PATH_CHARS = 256;
/** a path with more steps is refused */
export const MAX_PATH_STEPS = 32;

export type PathStep = string | number;

/** The steps of a path, or an error line saying why it is not one. */
export function parseJsonPath(path: string): { steps: PathStep[] } | { error: string } {
  if (path.length > MAX_PATH_CHARS) return { error: `JSON path longer than ${MAX_PATH_CHARS} characters` };
  const steps: PathStep[] = [];
  let i = 0;
  if (path.startsWith('$')) i = 1;
  else if (path.length > 0 && path[0] !== '[') {
    // "a.b": a bare first key
    const m = /^[^.[\]]+/.exec(path);
    if (!m) return { error: 'bad JSON path' };
    steps.push(m[0]);
    i = m[0].length;
  }
  while (i < path.length) {
    if (steps.length >= MAX_PATH_STEPS) return { error: `JSON path has more than ${MAX_PATH_STEPS} steps` };
    const rest = path.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^\.([^.[\]]+)/.exec(rest))) steps.push(m[1]!);
    else if ((m = /^\[(\d{1,9})\]/.exec(rest))) steps.push(Number(m[1]));
    else if ((m = /^\['([^']*)'\]/.exec(rest)) || (m = /^\["([^"]*)"\]/.exec(rest))) steps.push(m[1]!);
    else return { error: `bad JSON path at character ${i + 1}` };
    i += m[0].length;
  }
  return { steps };
}

/** Walks parsed JSON along the steps; found is false when a step is missing. */
export function walkJson(root: unknown, steps: PathStep[]): { found: boolean; value?: unknown } {
  let cur: unknown = root;
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(cur) || step >= cur.length) return { found: false };
      cur = cur[step];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, step)) return { found: false };
      cur = (cur as Record<string, unknown>)[step];
    }
  }
  return { found: true, value: cur };
}

/** A JSON value as the string jsonExpect is compared with: strings as they are, the rest as JSON. */
export function jsonValueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? 'undefined';
}
