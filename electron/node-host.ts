// Runs the peer node inside the Electron main process: DesktopSettings → NodeConfigInput, then
// createNode + startHttp; restarts on a settings change; forwards node events (role changes among
// them: the app never listens to its own /updateRole) and keeps a patched mirror of the board.
import { join } from 'node:path';
import type { NodeHandle } from '../node-core/src/api/node-handle.js';
import type { PeerEvent } from '../node-core/src/api/peer-api.js';
import type { NodeConfigInput } from '../node-core/src/config.js';
import { ErrorCode, PeerboardError, toPeerboardError } from '../node-core/src/errors.js';
import type { Logger } from '../node-core/src/log.js';
import { BoardMirror, type MirrorUpdate } from './board-mirror.js';
import type { DesktopSettings } from './ipc-contract.js';

/** What startHttp gives back: something to close. */
export interface HttpHandle {
  close(): Promise<void>;
}

/** node-core's two entry points (injected so tests run without sockets or SQLite). */
export interface NodeFactory {
  createNode(input: NodeConfigInput, opts: { logger: Logger }): Promise<NodeHandle>;
  startHttp(node: NodeHandle, opts: { logger: Logger }): Promise<HttpHandle>;
}

export interface NodeHostDeps {
  factory: NodeFactory;
  logger: Logger;
  /** app.getPath('userData'): the node's data lives under it unless settings.dataDir says otherwise */
  userDataDir: string;
  /** pushes one event to the renderer */
  send(event: PeerEvent): void;
  /**
   * After every event: the mirror of the board and what the event did to it ('full': the mirror was
   * just reset from a whole view, at start or after a change that did not name its rows).
   */
  onBoard?(mirror: BoardMirror, update: MirrorUpdate): void;
  /** every node event, after it was sent to the window (the verdict notifications listen here) */
  onEvent?(event: PeerEvent): void;
  /** a node started (also after a restart for new settings): e.g. pause its monitoring on battery */
  onStarted?(node: NodeHandle): void;
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
    // a desktop node runs monitoring checks only when the user opted in (issue 12)
    monitor: settings.monitor ?? false,
    // role changes reach the app as node events in this process; posting them to the app's own
    // /updateRole (seed 000's path for an external frontend) would only add a loopback hop that any
    // local process could imitate
    frontendUrl: '',
  };
}

export class NodeHost {
  readonly #deps: NodeHostDeps;
  #node: NodeHandle | null = null;
  #http: HttpHandle | null = null;
  #configKey: string | null = null;
  #lastError: PeerboardError | null = null;
  readonly #mirror = new BoardMirror();
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

  /** the main process's copy of the board (patched from events) */
  get mirror(): BoardMirror {
    return this.#mirror;
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
      const http = await factory.startHttp(node, { logger });
      node.events.on('event', this.#onEvent);
      this.#node = node;
      this.#http = http;
      this.#configKey = JSON.stringify(input);
      this.#lastError = null;
      logger.info({ nodeId: node.nodeId, clusterId: input.clusterId }, 'node started');
      this.#reset(node);
      const started = node;
      this.#call('node start listener', () => this.#deps.onStarted?.(started));
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
    if (node) node.events.off('event', this.#onEvent);
    // the HTTP ports first (no new requests), then the graceful leave
    if (http) await http.close().catch((err: unknown) => this.#deps.logger.warn({ err: String(err) }, 'closing HTTP failed'));
    if (node) await node.stop().catch((err: unknown) => this.#deps.logger.warn({ err: String(err) }, 'node stop failed'));
  }

  #forward(event: PeerEvent): void {
    try {
      this.#deps.send(event);
    } catch (err) {
      this.#deps.logger.warn({ err: String(err) }, 'could not send an event to the window');
    }
    this.#call('event listener', () => this.#deps.onEvent?.(event));
    const node = this.#node;
    if (!node) return;
    const update = this.#mirror.apply(event);
    if (update.kind === 'full') this.#reset(node);
    else if (update.kind !== 'none') this.#publish(update);
  }

  /** One whole view (O(board)): at start, and for a change that does not name its rows. */
  #reset(node: NodeHandle): void {
    try {
      this.#mirror.reset(node.view());
    } catch (err) {
      this.#deps.logger.warn({ err: String(err) }, 'could not read the board');
      return;
    }
    this.#publish({ kind: 'full' });
  }

  /** runs a listener; one that throws is logged and does not stop the host */
  #call(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#deps.logger.warn({ err: String(err) }, `${what} failed`);
    }
  }

  #publish(update: MirrorUpdate): void {
    try {
      this.#deps.onBoard?.(this.#mirror, update);
    } catch (err) {
      this.#deps.logger.warn({ err: String(err) }, 'board listener failed');
    }
  }
}
