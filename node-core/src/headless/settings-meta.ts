// What each node setting looks like from outside: its flag (--api-port), its environment variable
// (PEERBOARD_API_PORT), its value kind, and how a text value is coerced. Derived from configSchema.
import { configSchema, type NodeConfig } from '../config.js';

export const SettingKind = { string: 'string', number: 'number', boolean: 'boolean', list: 'list', choice: 'choice' } as const;
export type SettingKind = (typeof SettingKind)[keyof typeof SettingKind];

export type SettingKey = keyof NodeConfig;

export interface SettingMeta {
  key: SettingKey;
  kind: SettingKind;
  /** without the leading dashes: api-port */
  flag: string;
  /** PEERBOARD_API_PORT */
  env: string;
  /** allowed words of a choice */
  choices: string[];
  optional: boolean;
}

/** Thrown for a value that cannot be coerced or a key that does not exist; names the key. */
export class SettingInputError extends Error {
  override name = 'SettingInputError';
}

interface DefLike {
  def: { type: string; innerType?: DefLike; entries?: Record<string, string> };
}

export function kebabOf(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
export function envNameOf(key: string): string {
  return `PEERBOARD_${kebabOf(key).replace(/-/g, '_').toUpperCase()}`;
}

function metaOf(key: SettingKey, schema: DefLike): SettingMeta {
  let t = schema;
  let optional = false;
  for (let i = 0; i < 5 && (t.def.type === 'default' || t.def.type === 'optional'); i++) {
    if (t.def.type === 'optional') optional = true;
    t = t.def.innerType as DefLike;
  }
  const type = t.def.type;
  const kind: SettingKind =
    type === 'number' ? 'number' : type === 'boolean' ? 'boolean' : type === 'array' ? 'list' : type === 'enum' ? 'choice' : 'string';
  return { key, kind, flag: kebabOf(key), env: envNameOf(key), choices: kind === 'choice' ? Object.keys(t.def.entries ?? {}) : [], optional };
}

export const SETTINGS: readonly SettingMeta[] = Object.entries(configSchema.shape).map(([k, s]) =>
  metaOf(k as SettingKey, s as unknown as DefLike),
);

const BY_KEY = new Map(SETTINGS.map((m) => [m.key as string, m]));
const BY_FLAG = new Map(SETTINGS.map((m) => [m.flag, m]));

export function settingByKey(key: string): SettingMeta | undefined {
  return BY_KEY.get(key);
}
/** accepts the kebab flag name (api-port) or the key itself (apiPort) */
export function settingByFlag(flag: string): SettingMeta | undefined {
  return BY_FLAG.get(flag) ?? BY_KEY.get(flag);
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/**
 * Turns a text value (flag, environment variable, `config set`) into the type the schema wants.
 * Numbers that do not parse are left as text so the schema reports them against the key.
 */
export function coerceSetting(meta: SettingMeta, raw: string): unknown {
  const text = raw.trim();
  switch (meta.kind) {
    case 'number': {
      if (text === '' || !/^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) return raw;
      return Number(text);
    }
    case 'boolean': {
      const low = text.toLowerCase();
      if (TRUE.has(low)) return true;
      if (FALSE.has(low)) return false;
      throw new SettingInputError(`${meta.key}: expected true or false, got "${raw}"`);
    }
    case 'list': {
      if (text.startsWith('[')) {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new SettingInputError(`${meta.key}: not a JSON list and not a comma-separated list: "${raw}"`);
        }
      }
      return text === '' ? [] : text.split(',').map((s) => s.trim()).filter((s) => s !== '');
    }
    default:
      return raw;
  }
}

/** Validates one setting's value against its schema; returns the parsed value or throws naming the key. */
export function validateSetting(key: SettingKey, value: unknown): unknown {
  const schema = configSchema.shape[key];
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const sub = issue && issue.path.length > 0 ? `.${issue.path.join('.')}` : '';
    throw new SettingInputError(`${key}${sub}: ${issue?.message ?? 'invalid value'}`);
  }
  return r.data;
}
