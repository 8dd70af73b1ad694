// Builds a headless node's configuration from its layers, later wins: defaults (config.ts) <
// settings file (conf) < JSON file (--config / PEERBOARD_CONFIG) < PEERBOARD_* variables < flags.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfig, type NodeConfig, type NodeConfigInput } from '../config.js';
import { ConfigError } from '../errors.js';
import { coerceSetting, SETTINGS, settingByFlag, settingByKey, SettingInputError, validateSetting } from './settings-meta.js';
import { SettingsStore } from './settings-store.js';

/** Largest config file read (a config is a few hundred bytes). */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

export interface HeadlessArgs {
  help: boolean;
  printConfig: boolean;
  configFile?: string;
  /** settings given as flags, coerced but not yet validated */
  flags: Record<string, unknown>;
}

/** Parses `peerboard --headless ...` arguments. Throws ConfigError on an unknown flag or a missing value. */
export function parseHeadlessArgs(argv: readonly string[]): HeadlessArgs {
  const out: HeadlessArgs = { help: false, printConfig: false, flags: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--headless') continue;
    if (arg === '--help' || arg === '-h') {
      out.help = true;
      continue;
    }
    if (arg === '--print-config') {
      out.printConfig = true;
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') {
      throw new ConfigError(`unexpected argument "${arg}" (see peerboard --headless --help)`, { argument: arg });
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    const takeValue = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new ConfigError(`option --${name} needs a value`, { option: name });
      i++;
      return next;
    };
    if (name === 'config') {
      out.configFile = takeValue();
      continue;
    }
    const meta = settingByFlag(name);
    const negated = !meta && name.startsWith('no-') ? settingByFlag(name.slice(3)) : undefined;
    if (negated && negated.kind === 'boolean' && inline === undefined) {
      out.flags[negated.key] = false;
      continue;
    }
    if (!meta) throw new ConfigError(`unknown option --${name} (see peerboard --headless --help)`, { option: name });
    if (meta.kind === 'boolean' && inline === undefined) {
      const next = argv[i + 1];
      if (next !== undefined && /^(true|false)$/i.test(next)) inline = next, i++;
      else inline = 'true';
    }
    out.flags[meta.key] = coerce(meta.key, takeValue(), `--${meta.flag}`);
  }
  return out;
}

function coerce(key: string, raw: string, from: string): unknown {
  const meta = settingByKey(key);
  if (!meta) throw new ConfigError(`invalid configuration: unknown setting "${key}" (from ${from})`, { key });
  try {
    return coerceSetting(meta, raw);
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${(err as Error).message} (from ${from})`, { key });
  }
}

/** Reads the settings given as PEERBOARD_<SETTING> environment variables. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const meta of SETTINGS) {
    const raw = env[meta.env];
    if (raw !== undefined) out[meta.key] = coerce(meta.key, raw, meta.env);
  }
  return out;
}

/** Reads a JSON config file: an object of settings. Throws ConfigError naming the file. */
export function readConfigFile(path: string): Record<string, unknown> {
  const file = resolve(path);
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error('not a file');
    if (st.size > MAX_CONFIG_FILE_BYTES) throw new Error(`larger than ${MAX_CONFIG_FILE_BYTES} bytes`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`, { file });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(`config file ${file} must hold a JSON object of settings`, { file });
  }
  return data as Record<string, unknown>;
}

/** Checks one layer: unknown keys and bad values are reported with where they came from. */
function checkLayer(layer: Record<string, unknown>, from: (key: string) => string): void {
  for (const [key, value] of Object.entries(layer)) {
    const meta = settingByKey(key);
    if (!meta) throw new ConfigError(`invalid configuration: unknown setting "${key}" (from ${from(key)})`, { key });
    try {
      validateSetting(meta.key, value);
    } catch (err) {
      if (!(err instanceof SettingInputError)) throw err;
      throw new ConfigError(`invalid configuration: ${err.message} (from ${from(key)})`, { key });
    }
  }
}

export type Layer = 'default' | 'settings' | 'file' | 'env' | 'flag';

export interface ResolvedConfig {
  config: NodeConfig;
  input: NodeConfigInput;
  /** where each explicitly given setting came from */
  sources: Record<string, Layer>;
  settingsPath: string;
  configFile?: string;
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  /** settings store; default: a SettingsStore for env */
  store?: SettingsStore;
}

/** Merges every layer and validates the result. Throws ConfigError naming the bad key and its layer. */
export function resolveConfig(args: HeadlessArgs, opts: ResolveOptions = {}): ResolvedConfig {
  const env = opts.env ?? process.env;
  const store = opts.store ?? new SettingsStore({ env });
  const layers: Array<[Layer, Record<string, unknown>, (key: string) => string]> = [];
  layers.push(['settings', store.all(), () => `settings file ${store.path}`]);
  const configFile = args.configFile ?? (env.PEERBOARD_CONFIG || undefined);
  if (configFile) layers.push(['file', readConfigFile(configFile), () => `config file ${resolve(configFile)}`]);
  layers.push(['env', settingsFromEnv(env), (k) => settingByKey(k)?.env ?? k]);
  layers.push(['flag', args.flags, (k) => `--${settingByKey(k)?.flag ?? k}`]);

  const input: Record<string, unknown> = {};
  const sources: Record<string, Layer> = {};
  for (const [layer, values, from] of layers) {
    checkLayer(values, from);
    for (const [k, v] of Object.entries(values)) {
      input[k] = v;
      sources[k] = layer;
    }
  }
  const config = parseConfig(input);
  return { config, input: input as NodeConfigInput, sources, settingsPath: store.path, ...(configFile ? { configFile: resolve(configFile) } : {}) };
}
