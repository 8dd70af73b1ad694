// Headless mode: resolve the configuration, start a node and its HTTP servers, log where they
// listen, and leave the cluster gracefully on SIGINT/SIGTERM (a second signal, a second or more
// after the first, forces exit 1).
import type { NodeHandle } from '../api/node-handle.js';
import type { PeerEvent } from '../api/peer-api.js';
import type { NodeConfig, NodeConfigInput } from '../config.js';
import { PeerboardError, ErrorCode } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { renderHeadlessHelp } from './help.js';
import { parseHeadlessArgs, resolveConfig, type ResolvedConfig } from './resolve-config.js';
import { SECRET_SETTINGS } from './settings-help.js';
import { defaultUiDir } from './ui-dir.js';
import { nodeInviteInfo } from '../security/node-invite.js';
import type { SettingsStore } from './settings-store.js';

/** How long a graceful stop may take before the process gives up and exits 1. */
export const STOP_DEADLINE_MS = 20_000;
/**
 * A signal within this long of the first is the same stop request delivered twice (a process
 * manager signalling the whole process group, a wrapper such as npx forwarding it; seen here as two
 * SIGTERMs 8 ms apart). Only a later one forces the exit.
 */
export const DUPLICATE_SIGNAL_MS = 1000;

export type CreateNode = (input: NodeConfigInput, opts?: { logger?: Logger }) => Promise<NodeHandle>;
export interface HttpHandle {
  apiPort: number;
  /** null when the frontend is disabled (uiPort -1) */
  uiPort: number | null;
  apiUrl: string;
  close(): Promise<void>;
}
export type StartHttp = (node: NodeHandle, opts: { logger: Logger }) => Promise<HttpHandle>;

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface HeadlessDeps {
  env: NodeJS.ProcessEnv;
  io: Io;
  store?: SettingsStore;
  /** loads createNode and startHttp (default: node.ts and http/index.ts, imported when needed) */
  load?: () => Promise<{ createNode: CreateNode; startHttp: StartHttp }>;
  logger?: (config: NodeConfig) => Logger;
  /** subscribes to SIGINT/SIGTERM; returns the unsubscribe function */
  onSignal?: (handler: (signal: string) => void) => () => void;
  /** called on a second signal while stopping: the process must end now */
  forceExit?: (code: number) => void;
  stopDeadlineMs?: number;
  /** see DUPLICATE_SIGNAL_MS */
  duplicateSignalMs?: number;
}

/** The node and HTTP modules load only in headless mode, so the CLI's other commands start fast. */
async function defaultLoad(): Promise<{ createNode: CreateNode; startHttp: StartHttp }> {
  const [nodeMod, httpMod] = await Promise.all([import('../node.js'), import('../http/index.js')]);
  return { createNode: nodeMod.createNode, startHttp: httpMod.startHttp as StartHttp };
}

function processSignals(handler: (signal: string) => void): () => void {
  const on = (s: NodeJS.Signals): void => handler(s);
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return () => {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  };
}

/** The resolved settings for --print-config, secrets hidden. */
export function printableConfig(r: ResolvedConfig): Record<string, unknown> {
  const config: Record<string, unknown> = { ...r.config };
  for (const k of SECRET_SETTINGS) {
    const v = config[k];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) config[k] = '(hidden)';
  }
  return { config, sources: r.sources, settingsPath: r.settingsPath, configFile: r.configFile ?? null };
}

/** The line headless mode prints (stdout, not the JSON log) so the operator can share the team's invite. */
export function inviteLine(invite: string): string {
  return `Peerboard team invite (share it only with your team): peerboard join ${invite}\n`;
}
export const OPEN_CLUSTER_WARNING = 'WARNING: open cluster: anyone on this network can change the board (--open-cluster)';

/**
 * Tells the operator how teammates join: the invite line when the node has a key, the open-cluster
 * warning (stdout and a pino warn) when it runs keyless on purpose. Later invites (a node that founds
 * a team generates its key and emits an 'invite' event) are printed too, each once.
 */
function announceInvite(node: NodeHandle, io: Io, log: Logger): () => void {
  let printed: string | null = null;
  const print = (invite: string): void => {
    if (invite === printed) return;
    printed = invite;
    io.out(inviteLine(invite));
  };
  try {
    const info = nodeInviteInfo(node);
    if (info.invite) print(info.invite);
    else if (info.open) {
      io.out(OPEN_CLUSTER_WARNING + '\n');
      log.warn({ openCluster: true }, 'open cluster: anyone on this network can change the board; set a cluster key (peerboard join <invite>) to close it');
    }
  } catch (err) {
    log.warn({ err }, 'could not tell the team invite');
  }
  const onEvent = (e: PeerEvent): void => {
    if (e.type === 'invite') print(e.invite);
  };
  node.events.on('event', onEvent);
  return () => node.events.off('event', onEvent);
}

/** One line saying why the node could not start. */
export function startFailure(err: unknown): { code: number; line: string } {
  if (err instanceof PeerboardError && err.code === ErrorCode.Config) return { code: 2, line: `peerboard: ${err.message}` };
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e?.code === 'EADDRINUSE') {
    const where = e.port !== undefined ? ` (${e.address ?? ''}:${e.port})` : '';
    return { code: 1, line: `peerboard: cannot start: address already in use${where}; stop the other process or choose another port (--api-port, --ui-port, --peer-port, --discovery-port)` };
  }
  if (e?.code === 'EACCES') return { code: 1, line: `peerboard: cannot start: permission denied: ${e.message}` };
  if (e?.code === 'ERR_MODULE_NOT_FOUND') return { code: 1, line: `peerboard: cannot start: this build lacks a part of the node (${e.message.split('\n')[0]})` };
  const msg = err instanceof Error ? err.message : String(err);
  return { code: 1, line: `peerboard: cannot start: ${msg.split('\n')[0]}` };
}

/** Runs headless mode; resolves with the exit code once the node has stopped (or could not start). */
export async function runHeadless(argv: readonly string[], deps: HeadlessDeps): Promise<number> {
  let resolved: ResolvedConfig;
  try {
    const args = parseHeadlessArgs(argv);
    if (args.help) {
      deps.io.out(renderHeadlessHelp());
      return 0;
    }
    resolved = resolveConfig(args, { env: deps.env, ...(deps.store ? { store: deps.store } : {}) });
    if (args.printConfig) {
      deps.io.out(JSON.stringify(printableConfig(resolved), null, 2) + '\n');
      return 0;
    }
  } catch (err) {
    const f = startFailure(err);
    deps.io.err(f.line + '\n');
    return f.code;
  }

  const uiDir = resolved.config.uiDir ?? defaultUiDir();
  const config = uiDir ? { ...resolved.config, uiDir } : resolved.config;
  const logger = deps.logger ? deps.logger(config) : createLogger({ level: config.logLevel });
  const log = logger.child({ subsystem: 'headless' });
  let node: NodeHandle | undefined;
  let http: HttpHandle | undefined;
  try {
    const { createNode, startHttp } = await (deps.load ?? defaultLoad)();
    node = await createNode(config, { logger });
    http = await startHttp(node, { logger });
  } catch (err) {
    const f = startFailure(err);
    log.error({ err }, 'start failed');
    deps.io.err(f.line + '\n');
    if (node) await node.stop().catch((e: unknown) => log.warn({ err: e }, 'stop after failed start'));
    await flush(logger);
    return f.code;
  }

  log.info(
    { nodeId: node.nodeId, clusterId: config.clusterId, apiPort: http.apiPort, uiPort: http.uiPort, apiUrl: http.apiUrl, dataDir: config.dataDir, sources: resolved.sources },
    'peerboard node started',
  );

  const stopAnnouncing = announceInvite(node, deps.io, log);
  const running = node;
  const server = http;
  const code = await new Promise<number>((resolveExit) => {
    let stopping = false;
    let firstSignalAt = 0;
    const unsubscribe = (deps.onSignal ?? processSignals)((signal) => {
      if (stopping && performance.now() - firstSignalAt < (deps.duplicateSignalMs ?? DUPLICATE_SIGNAL_MS)) {
        log.debug({ signal }, 'the same stop request again: still stopping gracefully');
        return;
      }
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting without a graceful stop');
        unsubscribe();
        (deps.forceExit ?? ((c: number) => process.exit(c)))(1);
        resolveExit(1);
        return;
      }
      stopping = true;
      firstSignalAt = performance.now();
      log.info({ signal }, 'stopping: leaving the cluster');
      const deadline = setTimeout(() => {
        log.error({ deadlineMs: deps.stopDeadlineMs ?? STOP_DEADLINE_MS }, 'graceful stop took too long');
        unsubscribe();
        resolveExit(1);
      }, deps.stopDeadlineMs ?? STOP_DEADLINE_MS);
      deadline.unref();
      void (async () => {
        let code = 0;
        try {
          await running.stop();
        } catch (err) {
          log.error({ err }, 'node stop failed');
          code = 1;
        }
        try {
          await server.close();
        } catch (err) {
          log.error({ err }, 'http close failed');
          code = 1;
        }
        clearTimeout(deadline);
        unsubscribe();
        log.info({ code }, 'stopped');
        resolveExit(code);
      })();
    });
  });
  stopAnnouncing();
  await flush(logger);
  return code;
}

/** Writes out buffered log lines before the process exits (bounded: a stuck stream is not waited for). */
function flush(logger: Logger): Promise<void> {
  return new Promise((resolveFlush) => {
    const t = setTimeout(resolveFlush, 1000);
    t.unref();
    try {
      logger.flush(() => {
        clearTimeout(t);
        resolveFlush();
      });
    } catch {
      clearTimeout(t);
      resolveFlush();
    }
  });
}
