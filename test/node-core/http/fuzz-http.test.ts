// Issue 9: a small run of the HTTP body fuzzer (fuzz-http.ts) against a real node; bench/fuzz.ts
// --http runs the same property longer. Also checks that the fuzzer covers every body route.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FuzzTarget, SAMPLE_BODIES, httpFuzzProperty, send, startFuzzTarget } from './fuzz-http.js';

describe('HTTP body fuzzing on a real node', () => {
  let t: FuzzTarget;
  beforeAll(async () => {
    t = await startFuzzTarget();
  });
  afterAll(async () => t?.close());

  it('enumerates every body route of the backend from the app, each with a sample body', () => {
    const listed = t.routes.map((r) => `${r.method} ${r.url}`);
    expect(listed.length).toBeGreaterThanOrEqual(20);
    const bodyless = ['DELETE /api/servers/:host', 'DELETE /api/servers/:host/queue/:user', 'DELETE /api/cluster/voters/:nodeId', 'POST /api/cluster/enable-serving', 'POST /api/cluster/disable-serving', 'DELETE /api/checks/:id', 'DELETE /api/notifications/:id'];
    expect(listed.filter((r) => !(r in SAMPLE_BODIES) && !bodyless.includes(r))).toEqual([]);
  });

  it('never answers 5xx, always answers 4xx in seed 002 shape, and keeps answering /api/health', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
    await fc.assert(httpFuzzProperty(t), { numRuns: Number(process.env.FUZZ_RUNS ?? 150), seed, endOnFailure: true, interruptAfterTimeLimit: 15_000 });
    expect((await send(t.port, 'GET', '/api/health', null, undefined)).status).toBe(200);
  }, 30_000);
});
