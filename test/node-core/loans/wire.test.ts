// The loan wire's parser and encoder: seed 004's lines exactly, extensions, every limit with a hostile
// line, and the TS/NONCE/MAC auth (bad MAC, replay, stale, bounded nonce cache).
import { describe, expect, it } from 'vitest';
import { NonceCache, WireLimits, encodeLine, parseLine, refusalFor, resultsSchema, splitToLines, type ResultItem } from '../../../node-core/src/loans/wire.js';
import { check } from './helpers.js';

const NOW = 1_800_000_000_000;
const opts = (key?: string) => ({ key, now: NOW, nonces: new NonceCache() });
const parse = (line: string | Buffer, key?: string) => parseLine(line, opts(key));

describe('loan wire: seed 004 lines', () => {
  it.each([
    ['{"SERVER": "ALIVE", "TASK": "REQUEST"}', 'heartbeat'],
    ['{"SERVER": "ALIVE" ,"TASK":"RECIEVE"}', 'recieve'],
    ['{"TASK": "WORKER_REQUEST", "WORKERS_NEEDED": 5}', 'worker-request'],
    ['{"TASK": "WORKER_RESPONSE", "STATUS": "ACK", "MASTER_UUID":"m-1",  "WORKERS": ["w-1"] }', 'worker-response'],
    ['{"TASK": "WORKER_RESPONSE", "STATUS": "NACK",  "WORKERS": [] }', 'worker-response'],
    ['{"WORKER": "ALIVE", "WORKER_UUID":"w-1"}', 'worker-alive'],
    ['{"WORKER":"ALIVE","TASK":"RECIEVE"}', 'worker-accepted'],
  ])('%s parses as %s, unauthenticated', (line, kind) => {
    const p = parse(line);
    expect(p).toMatchObject({ ok: true, kind, authed: false });
  });

  it('accepts WORKERS as uuids or {"WORKER_UUID"} objects, both to strings', () => {
    const p = parse('{"TASK":"WORKER_RESPONSE","STATUS":"ACK","MASTER_UUID":"m","WORKERS":["a",{"WORKER_UUID":"b"}]}');
    expect(p.ok && p.kind === 'worker-response' && p.msg.WORKERS).toEqual(['a', 'b']);
  });

  it('keeps extension keys and ignores unknown ones', () => {
    const p = parse('{"SERVER":"ALIVE","TASK":"REQUEST","CLUSTER_ID":"c","MASTER_UUID":"m","LOAN_PORT":8781,"LOANS":["l1"],"FUTURE":{"x":1}}');
    expect(p.ok && p.msg).toEqual({ SERVER: 'ALIVE', TASK: 'REQUEST', CLUSTER_ID: 'c', MASTER_UUID: 'm', LOAN_PORT: 8781, LOANS: ['l1'] });
  });

  it('encodes without a key as plain JSON with a newline', () => {
    expect(encodeLine({ SERVER: 'ALIVE', TASK: 'RECIEVE' }).toString()).toBe('{"SERVER":"ALIVE","TASK":"RECIEVE"}\n');
  });

  it('round-trips WORK and RESULTS', () => {
    const work = parse(encodeLine({ TASK: 'WORK', VERSION: 3, PART: 1, PARTS: 1, CHECKS: [check(1), check(2, { type: 'tcp', target: '127.0.0.1:22' })] }).toString().trim());
    expect(work.ok && work.kind === 'work' && work.msg.CHECKS.map((c) => c.id)).toEqual([1, 2]);
    const res = parse(encodeLine({ TASK: 'RESULTS', RESULTS: [{ checkId: 1, status: 'DOWN', responseTime: 12, at: NOW, error: 'HTTP 503' }] }).toString().trim());
    expect(res.ok && res.kind === 'results' && res.msg.RESULTS[0]?.error).toBe('HTTP 503');
  });
});

describe('loan wire: hostile lines', () => {
  it.each([0, -1, 1e6, '"5"', 2.5, 65, 'null'])('WORKERS_NEEDED %s is a bad request answered with NACK + REASON', (n) => {
    const p = parse(`{"TASK":"WORKER_REQUEST","WORKERS_NEEDED":${n}}`);
    expect(p).toMatchObject({ ok: false, reason: 'bad_request' });
    if (p.ok) return;
    const answer = refusalFor(p);
    expect(answer).toMatchObject({ TASK: 'WORKER_RESPONSE', STATUS: 'NACK', WORKERS: [] });
    expect((answer as { REASON: string }).REASON).toMatch(/WORKERS_NEEDED/);
  });

  it.each([
    ['{"SERVER":"ALIVE"', 'bad_json'],
    ['[1,2]', 'bad_shape'],
    ['"text"', 'bad_shape'],
    ['{"TASK":"MINE_BITCOIN"}', 'unknown_task'],
    ['{"SERVER":"ALIVE","TASK":"DANCE"}', 'unknown_task'],
    ['{"foo":1}', 'unknown_task'],
    ['{"WORKER":"ALIVE","WORKER_UUID":42}', 'bad_shape'],
    ['{"WORKER":"ALIVE"}', 'bad_shape'],
    ['{"TASK":"WORKER_RESPONSE","STATUS":"ACK","WORKERS":["a"]}', 'bad_shape'],
    ['{"TASK":"WORKER_RESPONSE","STATUS":"ACK","MASTER_UUID":"m","WORKERS":"a"}', 'bad_shape'],
    ['{"TASK":"WORKER_RESPONSE","STATUS":"ACK","MASTER_UUID":"m","WORKERS":[1]}', 'bad_shape'],
    ['{"TASK":"WORK","VERSION":1,"PART":3,"PARTS":2,"CHECKS":[]}', 'bad_shape'],
    ['{"TASK":"RESULTS","RESULTS":[{"checkId":1,"status":"MAYBE","responseTime":1,"at":1}]}', 'bad_shape'],
  ])('%s -> %s', (line, reason) => {
    const p = parse(line);
    expect(p).toMatchObject({ ok: false, reason });
    if (!p.ok) expect(refusalFor(p)).toMatchObject({ TASK: 'ERROR', REASON: expect.stringContaining(reason) });
  });

  it('refuses JSON nested deeper than 8 before any schema sees it', () => {
    expect(parse(`{"TASK":"ERROR","X":${'['.repeat(8)}${']'.repeat(8)}}`)).toMatchObject({ ok: false, reason: 'too_deep' });
    expect(parse(`{"TASK":"ERROR","X":${'['.repeat(7)}${']'.repeat(7)}}`)).toMatchObject({ ok: true });
  });

  it('refuses a 70 KiB line and takes one of exactly 64 KiB', () => {
    const pad = (n: number) => `{"TASK":"ERROR","PAD":"${'x'.repeat(n - '{"TASK":"ERROR","PAD":""}'.length)}"}`;
    expect(parse(pad(70 * 1024))).toMatchObject({ ok: false, reason: 'too_large' });
    expect(parse(Buffer.from(pad(64 * 1024)))).toMatchObject({ ok: true, kind: 'error' });
    expect(parse(Buffer.from(pad(64 * 1024 + 1)))).toMatchObject({ ok: false, reason: 'too_large' });
  });

  it('refuses invalid UTF-8', () => {
    const bad = Buffer.concat([Buffer.from('{"TASK":"ERROR","REASON":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    expect(parse(bad)).toMatchObject({ ok: false, reason: 'bad_utf8' });
  });

  it('bounds strings (200), WORKERS (64), RESULTS (2000), LOANS (256)', () => {
    const long = 'x'.repeat(201);
    expect(parse(`{"WORKER":"ALIVE","WORKER_UUID":"${long}"}`)).toMatchObject({ ok: false, reason: 'bad_shape' });
    expect(parse(`{"WORKER":"ALIVE","WORKER_UUID":"${long.slice(1)}"}`)).toMatchObject({ ok: true });
    const ws = (n: number) => JSON.stringify({ TASK: 'WORKER_RETURN', WORKERS: Array.from({ length: n }, (_, i) => `w${i}`) });
    expect(parse(ws(65))).toMatchObject({ ok: false, reason: 'bad_shape' });
    expect(parse(ws(64))).toMatchObject({ ok: true });
    // 2000 results do not fit one line (the line limit comes first): the schema's own cap, checked directly
    const rs = (n: number) => ({ TASK: 'RESULTS', RESULTS: Array.from({ length: n }, () => ({ checkId: 1, status: 'UP', responseTime: 1, at: 1 })) });
    expect(resultsSchema.safeParse(rs(2001)).success).toBe(false);
    expect(resultsSchema.safeParse(rs(2000)).success).toBe(true);
    expect(parse(JSON.stringify(rs(2000)))).toMatchObject({ ok: false, reason: 'too_large' });
    const loans = (n: number) => JSON.stringify({ SERVER: 'ALIVE', TASK: 'REQUEST', LOANS: Array.from({ length: n }, (_, i) => `l${i}`) });
    expect(parse(loans(257))).toMatchObject({ ok: false, reason: 'bad_shape' });
  });

  it('refuses a WORK check whose target is not valid for its type', () => {
    const line = JSON.stringify({ TASK: 'WORK', VERSION: 1, PART: 1, PARTS: 1, CHECKS: [check(1, { target: 'file:///etc/passwd' })] });
    expect(parse(line)).toMatchObject({ ok: false, reason: 'bad_shape', detail: expect.stringContaining('target') });
  });
});

describe('loan wire: auth', () => {
  const KEY = 'shared-loan-key';
  const hb = () => encodeLine({ SERVER: 'ALIVE', TASK: 'REQUEST', CLUSTER_ID: 'c' }, KEY, NOW).toString().trimEnd();

  it('signs with TS, NONCE and a trailing MAC, and verifies', () => {
    const line = hb();
    expect(line).toMatch(/"TS":1800000000000,"NONCE":"[0-9a-f]{16}","MAC":"[0-9a-f]{64}"\}$/);
    expect(parse(line, KEY)).toMatchObject({ ok: true, authed: true, msg: { CLUSTER_ID: 'c' } });
  });

  it('refuses a changed line, a wrong key, a replay and a stale TS', () => {
    const line = hb();
    expect(parse(line.replace('"c"', '"d"'), KEY)).toMatchObject({ ok: false, reason: 'bad_mac' });
    expect(parse(line, 'other-key')).toMatchObject({ ok: false, reason: 'bad_mac' });
    const o = opts(KEY);
    expect(parseLine(line, o)).toMatchObject({ ok: true, authed: true });
    expect(parseLine(line, o)).toMatchObject({ ok: false, reason: 'replay' });
    const old = encodeLine({ SERVER: 'ALIVE', TASK: 'REQUEST' }, KEY, NOW - 31_000).toString().trimEnd();
    expect(parse(old, KEY)).toMatchObject({ ok: false, reason: 'stale' });
    const ahead = encodeLine({ SERVER: 'ALIVE', TASK: 'REQUEST' }, KEY, NOW + 31_000).toString().trimEnd();
    expect(parse(ahead, KEY)).toMatchObject({ ok: false, reason: 'stale' });
  });

  it('reads an unsigned line as unauthenticated with a key, and a signed one as plain JSON without a key', () => {
    expect(parse('{"SERVER":"ALIVE","TASK":"REQUEST"}', KEY)).toMatchObject({ ok: true, authed: false });
    expect(parse(hb())).toMatchObject({ ok: true, authed: false, kind: 'heartbeat' });
  });

  it('keeps the nonce cache bounded and refuses what is older than an evicted nonce', () => {
    const cache = new NonceCache(3, 60_000);
    for (let i = 0; i < 10; i++) expect(cache.check(`n${i}`, NOW + i, NOW)).toBe(true);
    expect(cache.size).toBe(3);
    expect(cache.check('n0', NOW, NOW)).toBe(false); // evicted, but older than the floor
    expect(cache.check('n9', NOW + 9, NOW)).toBe(false); // still remembered
    expect(cache.check('fresh', NOW + 100, NOW + 61_000)).toBe(true); // the window expired the rest
    expect(cache.size).toBe(1);
  });
});

describe('loan wire: splitting to lines', () => {
  it('splits 5000 results into lines of at most 2000 that fit 64 KiB signed', () => {
    const results: ResultItem[] = Array.from({ length: 5000 }, (_, i) => ({ checkId: i + 1, status: 'DOWN', responseTime: 1234.5, at: NOW, error: 'e'.repeat(i % 300) }));
    const { groups, skipped } = splitToLines(results, 40, WireLimits.results);
    expect(skipped).toBe(0);
    expect(groups.flat().length).toBe(5000);
    for (const g of groups) {
      expect(g.length).toBeLessThanOrEqual(2000);
      const line = encodeLine({ TASK: 'RESULTS', RESULTS: g }, 'k', NOW);
      expect(line.length - 1).toBeLessThanOrEqual(WireLimits.lineBytes);
      expect(parseLine(line.subarray(0, -1), opts('k'))).toMatchObject({ ok: true, authed: true });
    }
  });

  it('leaves out an item that no line can hold', () => {
    const { groups, skipped } = splitToLines(['a', 'x'.repeat(70_000), 'b'], 40, 10);
    expect(skipped).toBe(1);
    expect(groups).toEqual([['a', 'b']]);
  });
});
