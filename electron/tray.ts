// The tray icon: its tooltip and menu show this node's role and the user's reservations, with
// Show and Quit. The model is a pure function of the board view; Electron classes are passed in.
import type { Menu as ElectronMenu, MenuItemConstructorOptions, NativeImage, Tray as ElectronTray } from 'electron';
import type { BoardView } from '../node-core/src/api/peer-api.js';

export interface TrayModel {
  tooltip: string;
  /** plain menu rows (label, enabled) before the Show/Quit items */
  rows: Array<{ label: string }>;
}

function hhmm(epochSec: number): string {
  const d = new Date(epochSec * 1000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** What the tray says for this view (null: the node is not running). */
export function buildTrayModel(view: BoardView | null, user: string): TrayModel {
  if (!view) return { tooltip: 'Peerboard: node not running', rows: [{ label: 'Node not running' }] };
  const role = view.self.role;
  const mine = view.serversData.serversList.filter((s) => s.holder === user);
  const rows = [{ label: `Role: ${role}${view.stale ? ' (no master: data may be old)' : ''}` }];
  if (mine.length === 0) rows.push({ label: 'No reservations' });
  for (const s of mine) rows.push({ label: s.until !== null ? `${s.host} until ${hhmm(s.until)}` : `${s.host} (no end)` });
  const summary = mine.length === 0 ? 'no reservations' : `${mine.length} reservation${mine.length === 1 ? '' : 's'}`;
  return { tooltip: `Peerboard: ${role}, ${summary}`, rows };
}

export interface TrayDeps {
  Tray: new (image: NativeImage | string) => Pick<ElectronTray, 'setToolTip' | 'setContextMenu' | 'on' | 'destroy'>;
  Menu: Pick<typeof ElectronMenu, 'buildFromTemplate'>;
  nativeImage: { createFromPath(path: string): NativeImage };
  iconPath: string;
  user(): string;
  onShow(): void;
  onQuit(): void;
}

export class TrayController {
  readonly #deps: TrayDeps;
  readonly #tray: Pick<ElectronTray, 'setToolTip' | 'setContextMenu' | 'on' | 'destroy'>;
  #last: TrayModel | null = null;

  constructor(deps: TrayDeps) {
    this.#deps = deps;
    this.#tray = new deps.Tray(deps.nativeImage.createFromPath(deps.iconPath));
    this.#tray.on('click', () => deps.onShow());
    this.update(null);
  }

  /** Refreshes tooltip and menu (only when they changed). */
  update(view: BoardView | null): TrayModel {
    const model = buildTrayModel(view, this.#deps.user());
    if (this.#last && JSON.stringify(this.#last) === JSON.stringify(model)) return model;
    this.#last = model;
    const template: MenuItemConstructorOptions[] = [
      ...model.rows.map((r) => ({ label: r.label, enabled: false })),
      { type: 'separator' },
      { label: 'Show Peerboard', click: () => this.#deps.onShow() },
      { label: 'Quit', click: () => this.#deps.onQuit() },
    ];
    this.#tray.setToolTip(model.tooltip);
    this.#tray.setContextMenu(this.#deps.Menu.buildFromTemplate(template));
    return model;
  }

  destroy(): void {
    this.#tray.destroy();
  }
}
