// `peerboard invite` (the node's team invite, from GET /api/cluster/invite) and `peerboard join
// <invite>` (validates it and stores clusterId, clusterKey and staticPeers in the headless settings file).
import type { Command } from 'commander';
import type { InviteInfo } from '../api/peer-api.js';
import { SettingsStore } from '../headless/settings-store.js';
import { clusterKeyPath, loadClusterKey } from '../security/cluster-key.js';
import { parseInvite } from '../security/invite.js';
import { RefusedError, unwrap } from './api-client.js';
import { addCommon, begin, clientOf, emit, type CliContext, type CommonOpts } from './context.js';
import { UsageError } from './time.js';

function isInviteInfo(v: unknown): v is InviteInfo {
  const o = v as Partial<InviteInfo> | null;
  return typeof o === 'object' && o !== null && typeof o.clusterId === 'string' && typeof o.open === 'boolean' && (o.invite === null || typeof o.invite === 'string') && Array.isArray(o.peers);
}

export function renderInvite(info: InviteInfo): string {
  if (info.invite) return `Team "${info.clusterId}": share this invite only with your team; each teammate runs:\n  peerboard join ${info.invite}\n`;
  if (info.open) return `Team "${info.clusterId}" is an OPEN cluster (no key): anyone on this network can change the board.\nTo close it, set a cluster key on every node (see README, Security).\n`;
  return `Team "${info.clusterId}" has no key yet: the node has not founded or joined a team. Try again in a moment.\n`;
}

export function addSecurityCommands(program: Command, ctx: CliContext): void {
  addCommon(program.command('invite').description("print this team's invite (admin: it carries the team key)")).action(async (raw: CommonOpts) => {
    const o = begin(ctx, raw);
    const body = await clientOf(ctx, o).get('/api/cluster/invite');
    const info = unwrap(body);
    if (!isInviteInfo(info)) {
      throw new RefusedError(200, { success: false, error: 'Bad Answer', message: 'the node sent no invite; is it a Peerboard node of this version?', code: 'BAD_ANSWER', details: {} });
    }
    emit(ctx, info, () => renderInvite(info));
  });

  program
    .command('join <invite>')
    .description('join a team on this host: store the invite\'s team, key and peers in the headless settings file')
    .option('--data-dir <dir>', 'data directory of the node (stored as dataDir too)')
    .option('--json', 'print what was stored as JSON')
    .action((text: string, o: { dataDir?: string; json?: boolean }) => {
      ctx.json = Boolean(o.json);
      const inv = parseInvite(text);
      if (o.dataDir !== undefined && o.dataDir.trim() === '') throw new UsageError('bad --data-dir: give a directory');
      const store = new SettingsStore({ env: ctx.env });
      const before = store.all();
      const peers = Array.isArray(before.staticPeers) ? [...(before.staticPeers as string[])] : [];
      for (const p of inv.peers ?? []) if (!peers.includes(p)) peers.push(p);
      const values: Record<string, unknown> = { clusterId: inv.clusterId, clusterKey: inv.key, staticPeers: peers };
      if (o.dataDir !== undefined) values.dataDir = o.dataDir;
      // what would contradict the invite goes: an open cluster, or another invite
      const dropped = (['openCluster', 'invite'] as const).filter((k) => store.has(k));
      for (const k of dropped) store.unset(k);
      store.setMany(values);

      const dataDir = o.dataDir ?? (typeof before.dataDir === 'string' ? before.dataDir : undefined);
      let note = '';
      if (dataDir) {
        try {
          const old = loadClusterKey(dataDir);
          if (old !== null && old !== inv.key) note = `note: ${clusterKeyPath(dataDir)} holds another key; the invite's key (in the settings) takes precedence\n`;
        } catch {
          // an unreadable key file is reported when the node starts
        }
      }
      const result = { clusterId: inv.clusterId, staticPeers: peers, dataDir: dataDir ?? null, unset: dropped, settingsPath: store.path };
      emit(ctx, result, () =>
        [
          `Joined team "${inv.clusterId}": stored in ${store.path}`,
          `  clusterId = ${inv.clusterId}`,
          '  clusterKey = (hidden)',
          `  staticPeers = ${peers.length > 0 ? peers.join(',') : '(none)'}`,
          ...(o.dataDir !== undefined ? [`  dataDir = ${o.dataDir}`] : []),
          ...dropped.map((k) => `  ${k} unset (it contradicts the invite)`),
          '',
        ].join('\n') + note + 'Start the node: npm run headless   (or: npx peerboard --headless)\n',
      );
    });
}
