// The sync API's credentials: which shared secret a remote instance registers with (the team key, or the
// admin token), and the JWT it gets back (HS256 with jose; key derived from that secret with HKDF).
// Every node derives the same key, so a token issued by one master is still good after a failover.
import { hkdfSync } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { NodeConfig } from '../config.js';
import { parseInvite } from '../security/invite.js';

export const SYNC_AUDIENCE = 'peerboard-sync';
export const SYNC_ISSUER = 'peerboard';
/** what the key is derived for (HKDF info): a new version makes every older token invalid */
export const SYNC_KEY_INFO = 'peerboard-sync-jwt-v1';
/** a token's lifetime; a dependent re-registers before it ends */
export const SYNC_TOKEN_TTL_SEC = 24 * 3600;

/** The secrets a registration may present, and what the JWT key derives from. */
export interface SyncSecrets {
  /** the team key this node runs with (config, or the one it generated when it founded the team) */
  clusterKey: string | null;
  /** older team keys still accepted during a rotation: tokens signed with their keys still verify */
  previousKeys: string[];
  adminToken: string | null;
}

/** The node's effective secrets. The team key comes from the config, else from the invite (a founded team's key). */
export function syncSecretsOf(config: Pick<NodeConfig, 'clusterKey' | 'previousClusterKeys' | 'adminToken'>, invite: string | null): SyncSecrets {
  let key = config.clusterKey ?? null;
  if (key === null && invite) {
    try {
      key = parseInvite(invite).key;
    } catch {
      key = null;
    }
  }
  return { clusterKey: key, previousKeys: config.previousClusterKeys ?? [], adminToken: config.adminToken ?? null };
}

/** Why this node cannot take registrations, or null when it can. */
export function registrationRefusal(s: SyncSecrets): string | null {
  if (s.clusterKey || s.adminToken) return null;
  return 'this cluster has no team key and no admin token, so there is no secret a remote instance could prove it knows; set adminToken (or run the team with a key) to take remote instances';
}

function derive(secret: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('peerboard-sync'), Buffer.from(SYNC_KEY_INFO), 32));
}

/** The signing key (the team key's, else the admin token's) and every key a token may verify with. */
export function jwtKeys(s: SyncSecrets): { sign: Uint8Array; verify: Uint8Array[] } | null {
  const base = s.clusterKey ?? s.adminToken;
  if (!base) return null;
  const verify = [derive(base), ...(s.clusterKey ? s.previousKeys.map(derive) : [])];
  return { sign: verify[0]!, verify };
}

export async function issueSyncToken(key: Uint8Array, instanceId: string, nowMs: number): Promise<{ token: string; expiresAt: number }> {
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + SYNC_TOKEN_TTL_SEC;
  const token = await new SignJWT({ scope: 'sync' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(instanceId)
    .setAudience(SYNC_AUDIENCE)
    .setIssuer(SYNC_ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key);
  return { token, expiresAt: exp * 1000 };
}

export type VerifyOutcome = { ok: true; instanceId: string } | { ok: false; reason: string };

/** Verifies a token: HS256 only, our audience and issuer, not expired (no leeway), a subject. */
export async function verifySyncToken(keys: Uint8Array[], token: string, nowMs: number): Promise<VerifyOutcome> {
  let last = 'the token is not valid';
  for (const key of keys) {
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], audience: SYNC_AUDIENCE, issuer: SYNC_ISSUER, currentDate: new Date(nowMs), requiredClaims: ['sub', 'exp'] });
      if (typeof payload.sub !== 'string' || payload.sub === '') return { ok: false, reason: 'the token names no instance' };
      return { ok: true, instanceId: payload.sub };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) return { ok: false, reason: 'the token has expired; register again (POST /sync/api/register)' };
      if (err instanceof joseErrors.JWTClaimValidationFailed) return { ok: false, reason: `the token's ${err.claim} claim is not valid here` };
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) last = 'the token was not signed by this team';
      else if (err instanceof joseErrors.JOSEAlgNotAllowed) return { ok: false, reason: 'the token must be signed with HS256' };
      else if (!(err instanceof joseErrors.JOSEError)) throw err;
      else last = 'the token is not a valid JWT';
    }
  }
  return { ok: false, reason: last };
}

/** A bearer value that looks like a compact JWS (three base64url parts). */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}
