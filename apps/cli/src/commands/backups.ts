import type { Command } from 'commander';
import { ok, type ListQuery, type Schemas } from '@strata/client';
import { CommandContext, type Io } from '../context';
import { formatBytes } from '../output/sizes';
import { renderFields, type Column } from '../output/table';
import { UsageError } from '../output/usage-error';
import { fetchList, printPage, type PageOptions } from './lists';
import { parseSeconds, withPaging, withWait } from './options';

type Backup = Schemas['BackupView'];

export const BACKUP_COLUMNS: readonly Column<Backup>[] = [
  { header: 'ID', value: (b) => b.id },
  { header: 'VOLUME', value: (b) => b.volumeId },
  { header: 'KIND', value: (b) => b.kind },
  { header: 'SIZE', value: (b) => formatBytes(b.sizeBytes), align: 'right' },
  { header: 'STATUS', value: (b) => b.status + (b.progressPercent === null || b.status !== 'running' ? '' : ` ${Math.round(b.progressPercent)}%`) },
  { header: 'TARGET', value: (b) => b.targetId },
  { header: 'CREATED', value: (b) => b.createdAt },
];

function renderBackup(b: Schemas['BackupDetailView']): string {
  return renderFields([
    ['id', b.id],
    ['volume', b.volumeId],
    ['target', b.targetId],
    ['snapshot', b.snapshotId],
    ['kind', b.kind],
    ['status', b.status],
    ['size', formatBytes(b.sizeBytes)],
    ['written', b.bytesWritten === null ? null : formatBytes(b.bytesWritten)],
    ['chunks', b.chunks === null ? null : `${b.chunks} (${b.newChunks ?? 0} new, ${b.reusedChunks ?? 0} reused, ${b.zeroChunks ?? 0} zero)`],
    ['chain', b.chain.join(' <- ')],
    ['error', b.error ? `${b.error.code}: ${b.error.message}` : null],
    ['created', b.createdAt],
    ['completed', b.completedAt],
  ]);
}

export function registerBackups(program: Command, io: Io): void {
  const backups = program.command('backups').description('backups: list, show, create, restore');

  withPaging(backups.command('list').description('backups in the order they were requested (deleted ones only with --state deleted)'))
    .option('--volume <volumeId>', "only this volume's")
    .option('--target <targetId>', 'only on this backup target')
    .option('--state <status>', 'only in this state')
    .action(async (options: PageOptions & { volume?: string; target?: string; state?: ListQuery<'/backups'>['status'] }, command: Command) => {
      const context = CommandContext.of(command, io);
      const page = await fetchList(context, '/backups', { volumeId: options.volume, targetId: options.target, status: options.state }, options);
      printPage(context, page, BACKUP_COLUMNS);
    });

  backups
    .command('show <id>')
    .description('one backup, with the chain it restores through')
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = CommandContext.of(command, io);
      const backup = await ok(context.client.api.GET('/backups/{id}', { params: { path: { id } } }));
      context.print(backup, () => renderBackup(backup));
    });

  withWait(
    backups
      .command('create <volumeId>')
      .description('back a volume up to a target (incremental after an earlier backup there, unless --full)')
      .requiredOption('--target <targetId>', 'the backup target')
      .option('--snapshot <snapshotId>', "one of the volume's ready snapshots to read (default: a fresh one)")
      .option('--full', 'a full backup even when an incremental one is possible'),
  ).action(async (volumeId: string, options: { target: string; snapshot?: string; full?: boolean; wait?: boolean; timeout: string }, command: Command) => {
    const context = CommandContext.of(command, io);
    const timeout = parseSeconds(options.timeout);
    const body = { targetId: options.target, ...(options.snapshot ? { snapshotId: options.snapshot } : {}), ...(options.full ? { full: true } : {}) };
    const answer = await ok(context.client.api.POST('/volumes/{id}/backups', { params: { path: { id: volumeId } }, body }));
    await context.accepted(answer, options.wait === true, timeout);
  });

  withWait(
    backups
      .command('restore <backupId>')
      .description('restore a backup to a new volume (--pool and --name) or over its own detached volume (--over-original)')
      .option('--pool <poolId>', 'the pool of the new volume')
      .option('--name <name>', "the new volume's name")
      .option('--over-original', 'write the backup over its own volume (it must be detached)'),
  ).action(async (backupId: string, options: { pool?: string; name?: string; overOriginal?: boolean; wait?: boolean; timeout: string }, command: Command) => {
    if (!options.overOriginal && !(options.pool && options.name)) throw new UsageError('give --pool and --name, or --over-original');
    if (options.overOriginal && (options.pool || options.name)) throw new UsageError('--over-original takes neither --pool nor --name');
    const context = CommandContext.of(command, io);
    const timeout = parseSeconds(options.timeout);
    const body = options.overOriginal ? { overOriginal: true } : { poolId: options.pool, name: options.name };
    const answer = await ok(context.client.api.POST('/backups/{id}/restore', { params: { path: { id: backupId } }, body }));
    await context.accepted(answer, options.wait === true, timeout);
  });
}
