// `peerboard config set|get|unset|path`: the persisted settings of a headless node on this host.
import type { Command } from 'commander';
import { configSchema } from '../config.js';
import { SECRET_SETTINGS } from '../headless/settings-help.js';
import { SettingsStore } from '../headless/settings-store.js';
import type { CliContext } from './context.js';

function show(v: unknown): string {
  if (v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function addConfigCommands(program: Command, ctx: CliContext): void {
  const config = program.command('config').description('settings kept for headless mode on this host (see peerboard --headless --help)');
  const store = (): SettingsStore => new SettingsStore({ env: ctx.env });

  config
    .command('set <key> <value>')
    .description('store a setting (validated; lists comma-separated)')
    .action((key: string, value: string) => {
      const stored = store().set(key, value);
      ctx.io.out(`${key} = ${SECRET_SETTINGS.has(key) ? '(hidden)' : show(stored)}\n`);
    });

  config
    .command('get [key]')
    .description('print a setting (its default when unset), or every stored setting as JSON')
    .action((key: string | undefined) => {
      const s = store();
      if (key === undefined) {
        ctx.io.out(JSON.stringify(s.all(), null, 2) + '\n');
        return;
      }
      if (s.has(key)) {
        ctx.io.out(show(s.get(key)) + '\n');
        return;
      }
      const def = (configSchema.parse({}) as Record<string, unknown>)[key];
      ctx.io.out(show(def) + '\n');
      ctx.io.err(`(${key} is not set${def === undefined ? '' : '; that is the default'})\n`);
    });

  config
    .command('unset <key>')
    .description('remove a stored setting (back to its default)')
    .action((key: string) => {
      const had = store().unset(key);
      ctx.io.out(had ? `${key} unset\n` : `${key} was not set\n`);
    });

  config
    .command('path')
    .description('print where the settings file is')
    .action(() => {
      ctx.io.out(store().path + '\n');
    });
}
