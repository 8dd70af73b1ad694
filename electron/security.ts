// The one place that locks the renderer down: which URLs are the app, no navigation away, no new
// windows, no webviews, no permissions, a strict Content-Security-Policy. Electron objects are passed in.
import type { App, Session, Shell, WebContents } from 'electron';

/** Decides whether a URL is this app's own renderer (the built file, or the Vite dev server). */
export interface AppUrlPolicy {
  isAppUrl(url: string): boolean;
  /** the dev server origin, when running against one */
  readonly devOrigin: string | null;
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * rendererIndexUrl: file:// URL of dist/renderer/index.html. devServerUrl: VITE_DEV_SERVER_URL
 * (only http(s) on loopback is accepted; anything else is ignored so a stray env var cannot open
 * the app to a remote page).
 */
export function createAppUrlPolicy(opts: { rendererIndexUrl: string; devServerUrl?: string | undefined }): AppUrlPolicy {
  const index = parse(opts.rendererIndexUrl);
  if (!index || index.protocol !== 'file:') throw new Error(`renderer index must be a file:// URL, got ${opts.rendererIndexUrl}`);
  const dev = opts.devServerUrl ? parse(opts.devServerUrl) : null;
  const devOrigin =
    dev && (dev.protocol === 'http:' || dev.protocol === 'https:') && ['localhost', '127.0.0.1', '[::1]'].includes(dev.hostname)
      ? dev.origin
      : null;
  return {
    devOrigin,
    isAppUrl(url: string): boolean {
      const u = parse(url);
      if (!u) return false;
      if (u.protocol === 'file:') return u.pathname === index.pathname && u.host === index.host;
      return devOrigin !== null && u.origin === devOrigin;
    },
  };
}

/** Only web links leave the app, and only to the user's browser. */
export function isExternalUrlAllowed(url: string): boolean {
  const u = parse(url);
  return u !== null && (u.protocol === 'http:' || u.protocol === 'https:');
}

/** The Content-Security-Policy of the renderer; in dev the Vite server's websocket (HMR) is allowed too. */
export function contentSecurityPolicy(devOrigin: string | null): string {
  const connect = ["'self'"];
  if (devOrigin) connect.push(devOrigin.replace(/^http/, 'ws'));
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src ${connect.join(' ')}`,
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

type OpenExternal = Pick<Shell, 'openExternal'>;

/** Navigation, new windows and webviews for one WebContents. */
export function hardenWebContents(contents: WebContents, policy: AppUrlPolicy, shell: OpenExternal): void {
  contents.on('will-navigate', (event, url) => {
    if (!policy.isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!policy.isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalUrlAllowed(url)) void shell.openExternal(url).catch(() => undefined);
    return { action: 'deny' };
  });
}

/** Permissions and CSP for a session (the app uses the default session). */
export function hardenSession(session: Session, policy: AppUrlPolicy): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  const csp = contentSecurityPolicy(policy.devOrigin);
  session.webRequest.onHeadersReceived((details, callback) => {
    if (!details.url.startsWith('file:') && !isDevAsset(policy, details.url)) {
      callback({});
      return;
    }
    const headers = { ...(details.responseHeaders ?? {}) };
    for (const key of Object.keys(headers)) if (key.toLowerCase() === 'content-security-policy') delete headers[key];
    headers['Content-Security-Policy'] = [csp];
    callback({ responseHeaders: headers });
  });
}

function isDevAsset(policy: AppUrlPolicy, url: string): boolean {
  if (!policy.devOrigin) return false;
  const u = parse(url);
  return u !== null && u.origin === policy.devOrigin;
}

/** Applies hardenWebContents to every WebContents the app ever creates (windows, and any other). */
export function installAppSecurity(app: Pick<App, 'on'>, policy: AppUrlPolicy, shell: OpenExternal): void {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, policy, shell));
}
