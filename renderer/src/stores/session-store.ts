// Who is using this window: the user name (desktop settings, or in web mode a name kept in
// localStorage and in a cookie, which other nodes' pages on the same host read too), the web token,
// and whether the desktop first-run screen is still due.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { usePeerApi } from '../api/api-context.js';
import { errorResult, type DesktopSettings, type ErrorValue, type Result } from '../api/api-types.js';
import { TOKEN_KEY, USER_KEY } from '../api/select-api.js';
import { readUserCookie, writeUserCookie } from '../lib/user-cookie.js';

export { USER_KEY };
export const MAX_USER_CHARS = 64;

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/** A user name is 1-64 printable characters, no surrounding spaces. Returns the problem, or null. */
export function userNameProblem(name: string): string | null {
  const n = name.trim();
  if (!n) return 'Enter a name so teammates know who holds a server.';
  if (n.length > MAX_USER_CHARS) return `Use at most ${MAX_USER_CHARS} characters.`;
  if (/[\u0000-\u001f\u007f]/.test(n)) return 'The name contains control characters.';
  return null;
}

export const useSessionStore = defineStore('session', () => {
  const api = usePeerApi();
  const isDesktop = api.desktop !== null;
  const user = ref('');
  const token = ref(storage()?.getItem(TOKEN_KEY) ?? '');
  const settings = ref<DesktopSettings | null>(null);
  const loaded = ref(false);
  const error = ref<ErrorValue | null>(null);

  const needsOnboarding = computed(() => isDesktop && loaded.value && settings.value !== null && !settings.value.onboarded);
  const needsName = computed(() => loaded.value && !needsOnboarding.value && !user.value);

  async function load(): Promise<void> {
    if (api.desktop) {
      const r = await api.desktop.getSettings();
      if (r.ok) {
        settings.value = r.value;
        user.value = r.value.user;
      } else error.value = r.error;
    } else {
      // the cookie is shared by every node's page on this host, so it holds the latest name given
      // on any of them; localStorage (this port only) is the fallback and follows it
      const saved = readUserCookie() || storage()?.getItem(USER_KEY) || '';
      if (saved && userNameProblem(saved) === null) {
        storage()?.setItem(USER_KEY, saved);
        if (readUserCookie() !== saved) writeUserCookie(saved);
        user.value = saved;
      }
    }
    loaded.value = true;
  }

  async function setUser(name: string): Promise<Result<string>> {
    const problem = userNameProblem(name);
    if (problem) return errorResult('BAD_REQUEST', problem);
    const n = name.trim();
    if (api.desktop) {
      const r = await api.desktop.saveSettings({ user: n });
      if (!r.ok) return r;
      settings.value = r.value;
    } else {
      storage()?.setItem(USER_KEY, n);
      writeUserCookie(n);
    }
    user.value = n;
    return { ok: true, value: n };
  }

  function setToken(t: string): void {
    token.value = t.trim();
    if (token.value) storage()?.setItem(TOKEN_KEY, token.value);
    else storage()?.removeItem(TOKEN_KEY);
  }

  /** First run: saves the team key and name and marks the desktop app onboarded. */
  async function completeOnboarding(patch: { user: string; clusterKey: string }): Promise<Result<DesktopSettings>> {
    if (!api.desktop) return errorResult('BAD_REQUEST', 'The first-run setup exists only in the desktop app.');
    const problem = userNameProblem(patch.user);
    if (problem) return errorResult('BAD_REQUEST', problem);
    const r = await api.desktop.saveSettings({ user: patch.user.trim(), clusterKey: patch.clusterKey, openCluster: false, onboarded: true });
    if (r.ok) {
      settings.value = r.value;
      user.value = r.value.user;
    }
    return r;
  }

  /** First run, "join a team": the pasted invite (or an older bare key) and the name; the main process checks the invite. */
  async function joinTeam(patch: { user: string; invite: string }): Promise<Result<DesktopSettings>> {
    if (!api.desktop) return errorResult('BAD_REQUEST', 'The first-run setup exists only in the desktop app.');
    const problem = userNameProblem(patch.user);
    if (problem) return errorResult('BAD_REQUEST', problem);
    const r = await api.desktop.joinTeam({ invite: patch.invite.trim(), user: patch.user.trim() });
    if (r.ok) {
      settings.value = r.value;
      user.value = r.value.user;
    }
    return r;
  }

  /** First run, "open team": no key on purpose (anyone on the network can change the board). */
  async function openTeam(patch: { user: string }): Promise<Result<DesktopSettings>> {
    if (!api.desktop) return errorResult('BAD_REQUEST', 'The first-run setup exists only in the desktop app.');
    const problem = userNameProblem(patch.user);
    if (problem) return errorResult('BAD_REQUEST', problem);
    const r = await api.desktop.saveSettings({ user: patch.user.trim(), clusterKey: '', openCluster: true, onboarded: true });
    if (r.ok) {
      settings.value = r.value;
      user.value = r.value.user;
    }
    return r;
  }

  return { isDesktop, user, token, settings, loaded, error, needsOnboarding, needsName, load, setUser, setToken, completeOnboarding, joinTeam, openTeam };
});
