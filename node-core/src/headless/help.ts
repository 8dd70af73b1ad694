// `peerboard --headless --help`: how to run a node, and every setting with its flag, environment
// variable, default and description.
import { configSchema } from '../config.js';
import { SETTINGS } from './settings-meta.js';
import { SECRET_SETTINGS, SETTINGS_HELP } from './settings-help.js';

function show(value: unknown): string {
  if (value === undefined) return '(unset)';
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.join(',');
  if (value === '') return '""';
  return String(value);
}

export function renderHeadlessHelp(): string {
  const defaults = configSchema.parse({}) as Record<string, unknown>;
  const lines = [
    'Usage: peerboard --headless [--config FILE] [--<setting> VALUE ...]',
    '',
    'Runs a Peerboard node without UI (a server host). Logs are JSON lines on stdout.',
    'SIGINT/SIGTERM leave the cluster gracefully; another signal a second or more later exits at once.',
    '',
    'Settings, later wins: defaults < settings file (peerboard config set KEY VALUE)',
    '  < JSON file (--config FILE or PEERBOARD_CONFIG) < PEERBOARD_<SETTING> variables < flags.',
    'Lists are comma-separated; booleans are true/false (--flag alone means true, --no-flag false).',
    '',
    'Options:',
    '  --config FILE        JSON file of settings (also PEERBOARD_CONFIG)',
    '  --print-config       print the resolved settings as JSON (secrets hidden) and exit',
    '  -h, --help           show this help',
    '',
    'Settings:',
  ];
  for (const m of SETTINGS) {
    const kind = m.kind === 'choice' ? m.choices.join('|') : m.kind;
    const def = SECRET_SETTINGS.has(m.key) && !Array.isArray(defaults[m.key]) ? '(unset)' : show(defaults[m.key]);
    lines.push(`  --${m.flag} <${kind}>   ${m.env}   key ${m.key}   default: ${def}`);
    lines.push(`      ${SETTINGS_HELP[m.key]}`);
  }
  lines.push('', 'Exit codes: 0 stopped cleanly, 1 could not start or forced stop, 2 bad configuration.');
  return lines.join('\n') + '\n';
}
