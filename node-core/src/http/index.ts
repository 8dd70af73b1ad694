// Starts a node's HTTP layer: the backend API on apiPort (8777) and the frontend on uiPort (8778,
// -1 disables it), bound to loopback unless tokens are configured or an address is given.
import type { NodeHandle } from '../api/node-handle.js';
import type { Logger } from '../log.js';
import { type HttpOptions, closeGracefully } from './app.js';
import { bindAddressOf, tokensConfigured } from './auth.js';
import { buildBackend } from './backend.js';
import { buildFrontend } from './frontend.js';

export { buildBackend } from './backend.js';
export { buildFrontend } from './frontend.js';
export type { HttpOptions } from './app.js';
export { bindAddressOf } from './auth.js';

export interface HttpHandle {
  apiPort: number;
  uiPort: number | null;
  /** a URL a client on this machine can use to reach the backend */
  apiUrl: string;
  close(): Promise<void>;
}

/** The host part of a local URL for a bind address (wildcards become loopback). */
function urlHost(bind: string): string {
  if (bind === '0.0.0.0') return '127.0.0.1';
  if (bind === '::' || bind === '::0') return '[::1]';
  return bind.includes(':') ? `[${bind}]` : bind;
}

export async function startHttp(
  node: NodeHandle,
  opts: { logger: Logger; onUpdateRole?: (body: { role: string; ip: string }) => void } & Partial<HttpOptions>,
): Promise<HttpHandle> {
  const host = bindAddressOf(node.config);
  const log = opts.logger.child({ subsystem: 'http' });
  const backend = buildBackend(node, opts);
  await backend.listen({ port: node.config.apiPort, host });
  const apiPort = (backend.server.address() as { port: number }).port;

  let frontend: ReturnType<typeof buildFrontend> | null = null;
  let uiPort: number | null = null;
  if (node.config.uiPort !== -1) {
    try {
      frontend = buildFrontend(node, opts);
      await frontend.listen({ port: node.config.uiPort, host });
      uiPort = (frontend.server.address() as { port: number }).port;
    } catch (err) {
      await backend.close().catch(() => undefined);
      await frontend?.close().catch(() => undefined);
      throw err;
    }
  }
  node.setHttpPorts?.(apiPort, uiPort);
  log.info({ host, apiPort, uiPort, auth: tokensConfigured(node.config), web: Boolean(node.config.uiDir) }, 'HTTP listening');

  let closing: Promise<void> | null = null;
  return {
    apiPort,
    uiPort,
    apiUrl: `http://${urlHost(host)}:${apiPort}`,
    close() {
      const grace = opts.closeGraceMs ?? 1000;
      closing ??= Promise.all([closeGracefully(backend, grace), frontend ? closeGracefully(frontend, grace) : null]).then(
        () => undefined,
      );
      return closing;
    },
  };
}
