// IpcMainManager: one ipcMain.handle per invoke channel. Every call is checked for its sender (the
// main window's own frame showing the app) and its arguments, then reaches the node; errors are values.
import type { IpcMain, IpcMainInvokeEvent, Shell, WebContents } from 'electron';
import type { NodeHandle } from '../node-core/src/api/node-handle.js';
import type { BoardCommand, Server } from '../node-core/src/board/types.js';
import { ErrorCode, PeerboardError, toPeerboardError } from '../node-core/src/errors.js';
import { formatInvite, looksLikeInvite, parseInvite } from '../node-core/src/security/invite.js';
import { nodeInviteInfo } from '../node-core/src/security/node-invite.js';
import type { Logger } from '../node-core/src/log.js';
import { argSchemas, describeIssue } from './ipc-arg-schemas.js';
import { INVOKE_CHANNELS, type DesktopSettings, type InvokeChannel, type InvokeChannels } from './ipc-contract.js';
import { isExternalUrlAllowed, type AppUrlPolicy } from './security.js';
import type { SettingsStore } from './settings.js';

/** The parts of a BrowserWindow the sender check needs. */
export interface WindowLike {
  isDestroyed(): boolean;
  readonly webContents: Pick<WebContents, 'id' | 'mainFrame'>;
}

export interface IpcMainDeps {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  /** the main window, or null while there is none */
  getWindow(): WindowLike | null;
  policy: AppUrlPolicy;
  /** the running node; throws SERVICE_UNAVAILABLE (with why) when there is none */
  node(): NodeHandle;
  settings: SettingsStore;
  /** after a save: restart the node if needed, apply the login item */
  onSettingsSaved(settings: DesktopSettings): Promise<void>;
  generateKey(): string;
  shell: Pick<Shell, 'openExternal'>;
  logger: Logger;
  /** epoch milliseconds (tests pass a fixed clock) */
  now?: () => number;
}

type Args<C extends InvokeChannel> = InvokeChannels[C][0];
type Value<C extends InvokeChannel> = InvokeChannels[C][1] extends { ok: true; value: infer T } | { ok: false } ? T : never;
type Handlers = { [C in InvokeChannel]: (args: Args<C>) => Promise<Value<C>> | Value<C> };

const forbidden = (message: string) => ({ ok: false as const, error: { code: ErrorCode.Forbidden, message } });

export class IpcMainManager {
  readonly #deps: IpcMainDeps;
  readonly #handlers: Handlers;
  #registered = false;

  constructor(deps: IpcMainDeps) {
    this.#deps = deps;
    this.#handlers = this.#createHandlers();
  }

  /** Registers a handler for every channel of the contract. */
  register(): this {
    if (this.#registered) return this;
    for (const channel of INVOKE_CHANNELS) {
      this.#deps.ipcMain.handle(channel, (event, ...args: unknown[]) => this.call(channel, event, args));
    }
    this.#registered = true;
    return this;
  }

  dispose(): void {
    if (!this.#registered) return;
    for (const channel of INVOKE_CHANNELS) this.#deps.ipcMain.removeHandler(channel);
    this.#registered = false;
  }

  /** One checked call. Never throws: every failure is a Result value. */
  async call<C extends InvokeChannel>(channel: C, event: IpcMainInvokeEvent, args: unknown[]): Promise<InvokeChannels[C][1]> {
    const refusal = this.#checkSender(event);
    if (refusal) {
      this.#deps.logger.warn({ channel, reason: refusal }, 'refused an IPC call from a foreign sender');
      return forbidden(`refused: ${refusal}`) as InvokeChannels[C][1];
    }
    const parsed = argSchemas[channel].safeParse(args);
    if (!parsed.success) {
      const { field, message } = describeIssue(channel, parsed.error.issues[0]);
      const err = new PeerboardError(ErrorCode.BadRequest, `${channel}: ${field}: ${message}`, { channel, field });
      return { ok: false, error: err.toValue() } as InvokeChannels[C][1];
    }
    try {
      const handler = this.#handlers[channel] as (a: unknown) => Promise<Value<C>> | Value<C>;
      const value = await handler(parsed.data);
      return { ok: true, value } as InvokeChannels[C][1];
    } catch (err) {
      const e = toPeerboardError(err);
      if (e.code === ErrorCode.Internal) this.#deps.logger.error({ channel, err: e.message }, 'IPC handler failed');
      return { ok: false, error: e.toValue() } as InvokeChannels[C][1];
    }
  }

  /** null when the sender is the main window's main frame showing the app; otherwise why not. */
  #checkSender(event: IpcMainInvokeEvent): string | null {
    const win = this.#deps.getWindow();
    if (!win || win.isDestroyed()) return 'no main window';
    const frame = event?.senderFrame;
    if (!frame) return 'the sending frame is gone';
    const main = win.webContents.mainFrame;
    const sameFrame = frame === main || (frame.processId === main.processId && frame.frameToken === main.frameToken);
    if (event.sender?.id !== win.webContents.id || !sameFrame) return 'not the main window';
    if (!this.#deps.policy.isAppUrl(frame.url)) return `not the app's page (${frame.url.slice(0, 200)})`;
    return null;
  }

  #nowSec(): number {
    return Math.floor((this.#deps.now?.() ?? Date.now()) / 1000);
  }

  /** Submits a command and returns the server row it changed. */
  async #submitServer(cmd: BoardCommand, host: string, user: string, reqId: string | undefined): Promise<Server> {
    const node = this.#deps.node();
    const result = await node.submit(cmd, { user, ...(reqId ? { reqId } : {}) });
    if (isServer(result.value) && result.value.host === host) return result.value;
    const row = node.server(host);
    if (!row) throw new PeerboardError(ErrorCode.NotFound, `server "${host}" is not on the board`, { host });
    return row;
  }

  /** Saves a settings patch, then restarts the node with it; a node that cannot start says so. */
  async #saveAndApply(patch: Partial<DesktopSettings>): Promise<DesktopSettings> {
    const saved = this.#deps.settings.save(patch);
    try {
      await this.#deps.onSettingsSaved(saved);
    } catch (err) {
      const e = toPeerboardError(err);
      throw new PeerboardError(e.code, `settings saved, but the node could not start with them: ${e.message}`, e.details, { cause: err });
    }
    return saved;
  }

  #admin(): string {
    return this.#deps.settings.get().user;
  }

  #createHandlers(): Handlers {
    const d = this.#deps;
    return {
      'board:get-state': () => d.node().view(),
      'board:reserve-server': ([r]) => {
        const until = r.until ?? this.#nowSec() + (r.durationSec ?? 0);
        const cmd: BoardCommand = { type: 'reserve', host: r.host, user: r.user, until, ...(r.comment !== undefined ? { comment: r.comment } : {}) };
        return this.#submitServer(cmd, r.host, r.user, r.idempotencyKey);
      },
      'board:release-server': ([r]) =>
        this.#submitServer({ type: 'release', host: r.host, user: r.user, ...(r.force ? { force: true } : {}) }, r.host, r.user, r.idempotencyKey),
      'board:extend-reservation': ([r]) => {
        const until = r.until ?? this.#nowSec() + (r.durationSec ?? 0);
        return this.#submitServer({ type: 'extend', host: r.host, user: r.user, until }, r.host, r.user, r.idempotencyKey);
      },
      'board:queue-server': ([r]) => {
        const cmd: BoardCommand = { type: 'queue', host: r.host, user: r.user, durationSec: r.durationSec, ...(r.comment !== undefined ? { comment: r.comment } : {}) };
        return this.#submitServer(cmd, r.host, r.user, r.idempotencyKey);
      },
      'board:leave-queue': ([r]) => this.#submitServer({ type: 'unqueue', host: r.host, user: r.user }, r.host, r.user, undefined),
      'inventory:add-server': ([server]) => this.#submitServer({ type: 'server-add', server }, server.host, this.#admin(), undefined),
      'inventory:update-server': ([host, patch]) => this.#submitServer({ type: 'server-update', host, patch }, host, this.#admin(), undefined),
      'inventory:remove-server': async ([host]) => {
        await d.node().submit({ type: 'server-remove', host }, { user: this.#admin() });
        return { host };
      },
      'inventory:import-servers': async ([data]) => {
        const cmd: BoardCommand = { type: 'servers-import', servers: data.serversList, ...(data.replace !== undefined ? { replace: data.replace } : {}) };
        const result = await d.node().submit(cmd, { user: this.#admin() });
        const count = (result.value as { count?: unknown } | null)?.count;
        return { count: typeof count === 'number' ? count : data.serversList.length };
      },
      'inventory:set-maintenance': ([host, on, reason]) =>
        this.#submitServer({ type: 'maintenance', host, on, ...(reason !== undefined ? { reason } : {}) }, host, this.#admin(), undefined),
      'history:list-requests': ([filter]) => d.node().history(filter),
      'cluster:promote-node': ([nodeId]) => d.node().promote({ nodeId }),
      'settings:get-settings': () => d.settings.get(),
      'settings:save-settings': ([patch]) => this.#saveAndApply(patch),
      'settings:generate-key': () => {
        const clusterKey = d.generateKey();
        return { clusterKey, invite: formatInvite({ clusterId: d.settings.get().clusterId, key: clusterKey }) };
      },
      'settings:join-team': ([req]) => this.#saveAndApply({ ...teamOf(req.invite), user: req.user, openCluster: false, onboarded: true }),
      'cluster:get-invite': () => nodeInviteInfo(d.node()),
      'app:open-external': async ([url]) => {
        if (!isExternalUrlAllowed(url)) throw new PeerboardError(ErrorCode.BadRequest, 'url: only http: and https: links can be opened', { field: 'url' });
        await d.shell.openExternal(url);
        return null;
      },
    };
  }
}

/** The settings a pasted invite (or an older team's bare key) stands for. Throws BAD_REQUEST saying what is wrong. */
function teamOf(text: string): Pick<DesktopSettings, 'clusterKey'> & Partial<Pick<DesktopSettings, 'clusterId' | 'staticPeers'>> {
  const t = text.trim();
  if (looksLikeInvite(t)) {
    try {
      const inv = parseInvite(t);
      return { clusterId: inv.clusterId, clusterKey: inv.key, staticPeers: inv.peers ?? [] };
    } catch (err) {
      throw new PeerboardError(ErrorCode.BadRequest, (err as Error).message, { field: 'invite' });
    }
  }
  if (/^\S{16,256}$/.test(t)) return { clusterKey: t };
  throw new PeerboardError(ErrorCode.BadRequest, 'invite: paste the whole invite you were sent (pb1:<team>:<key>), or an older team key (16 to 256 characters without spaces)', {
    field: 'invite',
  });
}

function isServer(v: unknown): v is Server {
  return typeof v === 'object' && v !== null && typeof (v as { host?: unknown }).host === 'string' && 'available' in v;
}
