// security.ts: navigation, new windows, webviews and permissions are denied; only http(s) links go
// to the browser; the CSP header is set on the app's own responses.
import { describe, expect, it, vi } from 'vitest';
import { FakeSession, FakeWebContents, fakeEvent } from './fake-electron.js';

vi.mock('electron', async () => (await import('./fake-electron.js')).electronModule());

const sec = await import('../../electron/security.js');
const INDEX = 'file:///opt/peerboard/dist/renderer/index.html';

function hardened(devServerUrl?: string) {
  const contents = new FakeWebContents();
  const shell = { openExternal: vi.fn(async (_url: string) => undefined) };
  const policy = sec.createAppUrlPolicy({ rendererIndexUrl: INDEX, devServerUrl });
  sec.hardenWebContents(contents as never, policy, shell);
  return { contents, shell, policy };
}

describe('app URL policy', () => {
  it('knows the app by its exact file, or the loopback dev server when given', () => {
    const p = sec.createAppUrlPolicy({ rendererIndexUrl: INDEX });
    expect(p.isAppUrl(`${INDEX}#/history`)).toBe(true);
    expect(p.isAppUrl('file:///opt/peerboard/dist/renderer/other.html')).toBe(false);
    expect(p.isAppUrl('http://localhost:5173/')).toBe(false);
    expect(p.isAppUrl('nonsense')).toBe(false);
    const dev = sec.createAppUrlPolicy({ rendererIndexUrl: INDEX, devServerUrl: 'http://localhost:5173/' });
    expect(dev.isAppUrl('http://localhost:5173/src/main.ts')).toBe(true);
    expect(dev.isAppUrl('http://localhost:5174/')).toBe(false);
    // a dev URL that is not loopback is ignored rather than trusted
    expect(sec.createAppUrlPolicy({ rendererIndexUrl: INDEX, devServerUrl: 'https://evil.example' }).devOrigin).toBeNull();
    expect(() => sec.createAppUrlPolicy({ rendererIndexUrl: 'https://x/index.html' })).toThrow(/file:\/\//);
  });

  it('lets only http and https out', () => {
    expect(sec.isExternalUrlAllowed('https://example.com')).toBe(true);
    expect(sec.isExternalUrlAllowed('http://wiki.lan/x')).toBe(true);
    for (const u of ['file:///etc/passwd', 'javascript:alert(1)', 'mailto:a@b', 'ms-settings:', '', 'data:text/html,x']) {
      expect(sec.isExternalUrlAllowed(u)).toBe(false);
    }
  });
});

describe('hardenWebContents', () => {
  it('blocks navigation and redirects away from the app, allows in-app ones', () => {
    const { contents } = hardened();
    for (const name of ['will-navigate', 'will-redirect']) {
      const away = fakeEvent();
      contents.emit(name, away, 'https://evil.example/');
      expect(away.defaultPrevented()).toBe(true);
      const inside = fakeEvent();
      contents.emit(name, inside, `${INDEX}#/settings`);
      expect(inside.defaultPrevented()).toBe(false);
    }
  });

  it('denies every new window; http(s) ones open in the browser instead', () => {
    const { contents, shell } = hardened();
    expect(contents.windowOpenHandler!({ url: 'https://docs.example/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: INDEX })).toEqual({ action: 'deny' });
    expect(shell.openExternal.mock.calls).toEqual([['https://docs.example/']]);
  });

  it('refuses to attach webviews', () => {
    const { contents } = hardened();
    const ev = fakeEvent();
    contents.emit('will-attach-webview', ev, {}, {});
    expect(ev.defaultPrevented()).toBe(true);
  });

  it('installAppSecurity hardens every WebContents the app creates', () => {
    const app = { on: vi.fn() };
    sec.installAppSecurity(app as never, sec.createAppUrlPolicy({ rendererIndexUrl: INDEX }), { openExternal: vi.fn() });
    expect(app.on).toHaveBeenCalledWith('web-contents-created', expect.any(Function));
    const contents = new FakeWebContents();
    (app.on.mock.calls[0]![1] as (e: unknown, c: unknown) => void)({}, contents);
    expect(contents.listenerCount('will-navigate')).toBe(1);
    expect(contents.windowOpenHandler).not.toBeNull();
  });
});

describe('hardenSession', () => {
  function session(dev?: string) {
    const s = new FakeSession();
    sec.hardenSession(s as never, sec.createAppUrlPolicy({ rendererIndexUrl: INDEX, devServerUrl: dev }));
    return s;
  }
  const headers = (s: FakeSession, url: string, responseHeaders: Record<string, string[]> = {}) => {
    let out: any;
    s.headersReceived!({ url, responseHeaders }, (r) => (out = r));
    return out;
  };

  it('denies every permission request and check', () => {
    const s = session();
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      const cb = vi.fn();
      s.permissionRequest!({}, p, cb);
      expect(cb).toHaveBeenCalledWith(false);
      expect(s.permissionCheck!({}, p, INDEX, {})).toBe(false);
    }
  });

  it('sets the strict CSP on file:// responses, replacing any other', () => {
    const s = session();
    const r = headers(s, INDEX, { 'content-security-policy': ["default-src *"], 'x-other': ['1'] });
    expect(r.responseHeaders['x-other']).toEqual(['1']);
    expect(r.responseHeaders['content-security-policy']).toBeUndefined();
    const csp: string = r.responseHeaders['Content-Security-Policy'][0];
    for (const part of ["default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "connect-src 'self'"]) {
      expect(csp).toContain(part);
    }
    expect(csp).not.toContain('unsafe-eval');
    // other responses are left alone
    expect(headers(s, 'https://example.com/')).toEqual({});
  });

  it('covers the dev server too, allowing only its HMR websocket in addition', () => {
    const s = session('http://localhost:5173');
    const csp: string = headers(s, 'http://localhost:5173/').responseHeaders['Content-Security-Policy'][0];
    expect(csp).toContain("connect-src 'self' ws://localhost:5173");
    expect(headers(s, 'http://localhost:9999/')).toEqual({});
  });
});
