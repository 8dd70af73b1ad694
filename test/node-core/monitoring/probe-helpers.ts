// Shared bits of the probe tests: a check definition with defaults, a port nobody listens on, a timer.
import net from 'node:net';
import type { CheckDef } from '../../../node-core/src/monitoring/types.js';

export function def(over: Partial<CheckDef> & Pick<CheckDef, 'type' | 'target'>): CheckDef {
  return {
    id: 1,
    name: 'probe test',
    server: null,
    enabled: true,
    intervalSec: 30,
    timeoutMs: 2000,
    retries: 0,
    createdAt: 0,
    updatedAt: 0,
    createdBy: 'test',
    ...over,
  };
}

/** A loopback port that was free a moment ago (bound, then closed): connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** A signal that aborts after ms. */
export function abortAfter(ms: number): AbortSignal {
  return AbortSignal.timeout(ms);
}

export const never = new AbortController().signal;
