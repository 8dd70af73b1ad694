// Runs the peer node inside the Electron main process: DesktopSettings → NodeConfigInput, then
// createNode + startHttp; restarts on a settings change; forwards node events and /updateRole bodies.
import { join } from 'node:path';
import { z } from 'zod';
import type { NodeHandle } from '../node-core/src/api/node-handle.js';
import type { BoardView, PeerEvent } from '../node-core/src/api/peer-api.js';
import type { NodeConfigInput } from '../node-core/src/config.js';
import { ErrorCode, PeerboardError, toPeerboardError } from '../node-core/src/errors.js';
import type { Logger } from '../node-core/src/log.js';
import type { DesktopSettings } from './ipc-contract.js';

/** What startHttp gives back: something to close. */
export interface HttpHandle {
  close(): Promise<void>;
}

/** node-core's two entry points (injected so tests run without sockets or SQLite). */
export interface NodeFactory {
  createNode(input: NodeConfigInput, opts: { logger: Logger }): Promise<NodeHandle>;
  startHttp(node: NodeHandle, opts: { logger: Logger; onUpdateRole: (body: unknown) => void }): Promise<HttpHandle>;
}

export interface NodeHostDeps {
  factory: NodeFactory;
  logger: Logger;
  /** app.getPath('userData'): the node's data lives under it unless settings.dataDir says otherwise */
  userDataDir: string;
  /** pushes one event to the renderer */
  send(event: PeerEvent): void;
  /** the board after every event (tray, notifications) */
  onView?(view: BoardView): void;
}

/** Settings → the node's configuration. A desktop node is never headless. */
export function buildNodeConfig(settings: DesktopSettings, userDataDir: string): NodeConfigInput {
  return {
    headless: false,
    user: settings.user,
    clusterId: settings.clusterId,
    ...(settings.clusterKey !== '' ? { clusterKey: settings.clusterKey } : {}),
    ...(settings.openCluster ? { openCluster: true } : {}),
    ...(settings.staticPeers.length > 0 ? { staticPeers: settings.staticPeers } : {}),
    apiPort: settings.apiPort,
    uiPort: settings.uiPort,
    discoveryPort: settings.discoveryPort,
    peerPort: settings.peerPort,
    dataDir: settings.dataDir !== '' ? settings.dataDir : join(userDataDir, 'node-data'),
    // the node posts role changes (seed 000's /updateRole) to its own HTTP frontend, not to a guess
    frontendUrl: settings.uiPort > 0 ? `http://127.0.0.1:${settings.uiPort}` : '',
  };
}

/** Seed 000's /updateRole body, {role, ip}; extra fields are tolerated. */
const updateRoleSchema = z.looseObject({
  role: z.enum(['master', 'slave', 'candidate', 'observer']),
  ip: z.string().max(64),
  nodeId: z.string().max(128).optional(),
  term: z.number().int().min(0).optional(),
});

export class NodeHost {
  readonly #deps: NodeHostDeps;
  #node: NodeHandle | null = null;
  #http: HttpHandle | null = null;
  #configKey: string | null = null;
  #lastError: PeerboardError | null = null;
  #lastRoleKey: string | null = null;
  #chain: Promise<unknown> = Promise.resolve();
  #onEvent = (event: PeerEvent): void => this.#forward(event);

  constructor(deps: NodeHostDeps) {
    this.#deps = deps;
  }

  /** the running node, or null (not started, failed to start, restarting, stopped) */
  current(): NodeHandle | null {
    return this.#node;
  }

  /** why the node is not running, if it failed */
  lastError(): PeerboardError | null {
    return this.#lastError;
  }

  /** The node or a SERVICE_UNAVAILABLE error that says why there is none. */
  require(): NodeHandle {
    if (this.#node) return this.#node;
    const why = this.#lastError ? `: ${this.#lastError.message}` : '';
    throw new PeerboardError(ErrorCode.Unavailable, `the node is not running${why}; check the settings and restart Peerboard`);
  }

  /** Starts the node (stopping a running one first). Rejects with a PeerboardError when it cannot start. */
  start(settings: DesktopSettings): Promise<void> {
    return this.#serial(async () => {
      await this.#stopNow();
      await this.#startNow(settings);
    });
  }

  /** Restarts the node when the settings change its configuration; resolves true when it did. */
  applySettings(settings: DesktopSettings): Promise<boolean> {
    return this.#serial(async () => {
      const key = JSON.stringify(buildNodeConfig(settings, this.#deps.userDataDir));
      if (this.#node && key === this.#configKey) return false;
      await this.#stopNow();
      await this.#startNow(settings);
      return true;
    });
  }

  /** Graceful leave (hands mastership over) and closes the HTTP ports. Never rejects. */
  stop(): Promise<void> {
    return this.#serial(() => this.#stopNow());
  }

  /** Body of a POST /updateRole that reached this node's HTTP frontend. */
  handleUpdateRole(body: unknown): void {
    const r = updateRoleSchema.safeParse(body);
    if (!r.success) {
      this.#deps.logger.warn({ issues: r.error.issues.length }, 'ignored a malformed /updateRole body');
      return;
    }
    const node = this.#node;
    const { role, ip } = r.data;
    this.#forward({ type: 'role', role, ip, nodeId: r.data.nodeId ?? node?.nodeId ?? '', term: r.data.term ?? safeTerm(node) });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #startNow(settings: DesktopSettings): Promise<void> {
    const { factory, logger } = this.#deps;
    const input = buildNodeConfig(settings, this.#deps.userDataDir);
    let node: NodeHandle | null = null;
    try {
      node = await factory.createNode(input, { logger });
      const http = await factory.startHttp(node, { logger, onUpdateRole: (body) => this.handleUpdateRole(body) });
      node.events.on('event', this.#onEvent);
      this.#node = node;
      this.#http = http;
      this.#configKey = JSON.stringify(input);
      this.#lastError = null;
      logger.info({ nodeId: node.nodeId, clusterId: input.clusterId }, 'node started');
      this.#publishView();
    } catch (err) {
      if (node) await node.stop().catch(() => undefined);
      this.#lastError = toPeerboardError(err);
      logger.error({ err: this.#lastError.message, code: this.#lastError.code }, 'node failed to start');
      throw this.#lastError;
    }
  }

  async #stopNow(): Promise<void> {
    const node = this.#node;
    const http = this.#http;
    this.#node = null;
    this.#http = null;
    this.#configKey = null;
    this.#lastRoleKey = null;
    if (node) node.events.off('event', this.#onEvent);
    // the HTTP ports first (no new requests), then the graceful leave
    if (http) await http.close().catch((err: unknown) => this.#deps.logger.warn({ err: String(err) }, 'closing HTTP failed'));
    if (node) await node.stop().catch((err: unknown) => this.#deps.logger.warn({ err: String(err) }, 'node stop failed'));
  }

  #forward(event: PeerEvent): void {
    if (event.type === 'role') {
      const key = `${event.role}|${event.ip}`;
      if (key === this.#lastRoleKey) return; // the node's own event and its /updateRole post say the same
      this.#lastRoleKey = key;
    }
    try {
      this.#deps.send(event);
    } catch (err) {
      this.#deps.logger.warn({ err: String(err) }, 'could not send an event to the window');
    }
    this.#publishView();
  }

  #publishView(): void {
    const node = this.#node;
    if (!node || !this.#deps.onView) return;
    try {
      this.#deps.onView(node.view());
    } catch (err) {
      this.#deps.logger.warn({ err: String(err) }, 'view listener failed');
    }
  }
}

function safeTerm(node: NodeHandle | null): number {
  try {
    return node ? node.status().self.term : 0;
  } catch {
    return 0;
  }
}
