// App lifecycle rules that are easy to get wrong: one instance only, and a quit that waits (bounded)
// for the node's graceful leave so mastership is handed over before the process exits.
import type { App } from 'electron';
import type { Logger } from '../node-core/src/log.js';

/** How long quitting waits for node.stop() before exiting anyway. */
export const QUIT_TIMEOUT_MS = 8000;

/** false when another instance runs (this one should quit); the running one gets onSecondInstance. */
export function claimSingleInstance(app: Pick<App, 'requestSingleInstanceLock' | 'on'>, onSecondInstance: () => void): boolean {
  if (!app.requestSingleInstanceLock()) return false;
  app.on('second-instance', () => onSecondInstance());
  return true;
}

export interface QuitGuard {
  /** true from the first quit request on (windows close for real instead of hiding) */
  isQuitting(): boolean;
}

/**
 * Holds 'before-quit' until shutdown() settles or timeoutMs passes, then quits for real.
 * A second quit request while waiting is absorbed.
 */
export function installQuitGuard(app: Pick<App, 'on' | 'quit'>, shutdown: () => Promise<void>, logger: Logger, timeoutMs = QUIT_TIMEOUT_MS): QuitGuard {
  let state: 'running' | 'stopping' | 'done' = 'running';
  app.on('before-quit', (event) => {
    if (state === 'done') return;
    event.preventDefault();
    if (state === 'stopping') return;
    state = 'stopping';
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const stopped = shutdown().then(
      () => 'stopped' as const,
      (err: unknown) => {
        logger.error({ err: String(err) }, 'shutdown failed');
        return 'failed' as const;
      },
    );
    void Promise.race([stopped, timeout]).then((how) => {
      clearTimeout(timer);
      if (how === 'timeout') logger.warn({ timeoutMs }, 'node did not stop in time; quitting anyway');
      state = 'done';
      app.quit();
    });
  });
  return { isQuitting: () => state !== 'running' };
}
