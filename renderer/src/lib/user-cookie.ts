// The user's name in a cookie as well as localStorage: a cookie belongs to the host, not the port,
// so switching to another node's page on the same host (a dead node's link) keeps the name.

export const USER_COOKIE = 'peerboard.user';
/** a year: the name is not a secret, it only saves typing it again */
const MAX_AGE_SEC = 365 * 24 * 3600;

function doc(): Document | null {
  return typeof document === 'undefined' ? null : document;
}

export function readUserCookie(): string | null {
  const d = doc();
  if (!d) return null;
  for (const part of d.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== USER_COOKIE) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim()) || null;
    } catch {
      return null;
    }
  }
  return null;
}

export function writeUserCookie(name: string): void {
  const d = doc();
  if (!d) return;
  d.cookie = `${USER_COOKIE}=${encodeURIComponent(name)}; path=/; max-age=${MAX_AGE_SEC}; SameSite=Lax`;
}
