// The `peerboard` command: `--headless` runs a node; every other form is a CLI command talking to
// a node's HTTP API. Exit codes: 0 done, 1 refused by the node, 2 usage error, 3 node unreachable.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { PeerboardError, ErrorCode } from '../errors.js';
import { runHeadless, type HeadlessDeps, type Io } from '../headless/run.js';
import { SettingInputError } from '../headless/settings-meta.js';
import { addAdminCommands } from './admin-commands.js';
import { ExitCode, RefusedError, UnreachableError } from './api-client.js';
import { addBoardCommands } from './board-commands.js';
import { addConfigCommands } from './config-commands.js';
import { addLoanCommands } from './loans-commands.js';
import { addMonitorCommands } from './monitor-commands.js';
import { addRemoteCommand } from './remote-command.js';
import { addSecurityCommands } from './security-commands.js';
import type { CliContext } from './context.js';
import { UsageError } from './time.js';

export interface MainDeps {
  io?: Io;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  /** passed to headless mode (tests inject a fake node) */
  headless?: Partial<HeadlessDeps>;
}

const stdio: Io = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Maps anything a command threw to its exit code, printing one line (or the JSON error body). */
function failure(ctx: CliContext, err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  if (err instanceof RefusedError || err instanceof UnreachableError) {
    if (ctx.json) ctx.io.out(JSON.stringify(err.body, null, 2) + '\n');
    else ctx.io.err(`peerboard: ${err.message}${err instanceof RefusedError ? ` (${err.code})` : ''}\n`);
    return err instanceof RefusedError ? ExitCode.Refused : ExitCode.Unreachable;
  }
  if (err instanceof UsageError) {
    ctx.io.err(`peerboard: ${err.message}\n`);
    return ExitCode.Usage;
  }
  if (err instanceof SettingInputError || (err instanceof PeerboardError && err.code === ErrorCode.Config)) {
    const msg = err.message.startsWith('invalid configuration') || err instanceof PeerboardError ? err.message : `invalid configuration: ${err.message}`;
    ctx.io.err(`peerboard: ${msg}\n`);
    return ExitCode.Usage;
  }
  ctx.io.err(`peerboard: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
  return ExitCode.Refused;
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('peerboard');
  program
    .description('Peerboard: reserve and watch shared servers, from any node of the cluster')
    .version(version(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
      outputError: (s, write) => write(`peerboard: ${s.replace(/^error: /, '')}`),
    })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      [
        '',
        'Run a node: peerboard --headless [options]   (peerboard --headless --help lists every setting)',
        'Exit codes: 0 done, 1 refused by the node, 2 usage error, 3 node unreachable.',
        '',
      ].join('\n'),
    );
  addBoardCommands(program, ctx);
  addAdminCommands(program, ctx);
  addConfigCommands(program, ctx);
  addSecurityCommands(program, ctx);
  addMonitorCommands(program, ctx);
  addLoanCommands(program, ctx);
  addRemoteCommand(program, ctx);
  return program;
}

/** Runs one invocation; resolves with the exit code. */
export async function main(argv: readonly string[], deps: MainDeps = {}): Promise<number> {
  const io = deps.io ?? stdio;
  const env = deps.env ?? process.env;
  if (argv.includes('--headless')) return runHeadless(argv, { env, io, ...deps.headless });
  const ctx: CliContext = { io, env, now: deps.now ?? (() => new Date()), json: false };
  try {
    await buildProgram(ctx).parseAsync([...argv], { from: 'user' });
    return ExitCode.Ok;
  } catch (err) {
    return failure(ctx, err);
  }
}

/** The process entry: bin/peerboard.mjs calls this. */
export async function run(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  const code = await main(argv);
  process.exit(code);
}

// Also runnable directly (tsx node-core/src/cli/main.ts ...), which the tests use.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void run();
