import type { Command } from 'commander';
import { ok, type ListQuery, type Schemas } from '@strata/client';
import { CommandContext, type Io } from '../context';
import { formatBytes } from '../output/sizes';
import { renderFields, type Column } from '../output/table';
import { fetchList, printPage, type PageOptions } from './lists';
import { parseSeconds, withPaging, withWait } from './options';

type Snapshot = Schemas['SnapshotView'];

export const SNAPSHOT_COLUMNS: readonly Column<Snapshot>[] = [
  { header: 'ID', value: (s) => s.id },
  { header: 'NAME', value: (s) => s.name },
  { header: 'VOLUME', value: (s) => s.volumeId },
  { header: 'SIZE', value: (s) => (s.sizeBytes === null ? null : formatBytes(s.sizeBytes)), align: 'right' },
  { header: 'STATUS', value: (s) => s.status },
  { header: 'CREATED', value: (s) => s.createdAt },
];

function renderSnapshot(s: Snapshot): string {
  return renderFields([
    ['id', s.id],
    ['name', s.name],
    ['volume', s.volumeId],
    ['pool', s.poolId],
    ['status', s.status],
    ['size', s.sizeBytes === null ? null : formatBytes(s.sizeBytes)],
    ['backend name', s.backendName],
    ['policy', s.policyId],
    ['last error', s.lastError ? `${s.lastError.code}: ${s.lastError.message}` : null],
    ['created', s.createdAt],
  ]);
}

export function registerSnapshots(program: Command, io: Io): void {
  const snapshots = program.command('snapshots').description('volume snapshots: list, show, create, delete');

  withPaging(snapshots.command('list').description('snapshots in the order they were taken (deleted ones only with --state deleted)'))
    .option('--volume <volumeId>', "only this volume's")
    .option('--state <status>', 'creating, ready, reverting, error, deleting or deleted')
    .action(async (options: PageOptions & { volume?: string; state?: ListQuery<'/snapshots'>['status'] }, command: Command) => {
      const context = CommandContext.of(command, io);
      const page = await fetchList(context, '/snapshots', { volumeId: options.volume, status: options.state }, options);
      printPage(context, page, SNAPSHOT_COLUMNS);
    });

  snapshots
    .command('show <id>')
    .description('one snapshot')
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = CommandContext.of(command, io);
      const snapshot = await ok(context.client.api.GET('/snapshots/{id}', { params: { path: { id } } }));
      context.print(snapshot, () => renderSnapshot(snapshot));
    });

  withWait(
    snapshots
      .command('create <volumeId>')
      .description("take a snapshot of a volume on its primary storage")
      .requiredOption('--name <name>', 'the snapshot name'),
  ).action(async (volumeId: string, options: { name: string; wait?: boolean; timeout: string }, command: Command) => {
    const context = CommandContext.of(command, io);
    const timeout = parseSeconds(options.timeout);
    const answer = await ok(context.client.api.POST('/volumes/{id}/snapshots', { params: { path: { id: volumeId } }, body: { name: options.name } }));
    await context.accepted(answer, options.wait === true, timeout);
  });

  withWait(snapshots.command('delete <id>').description('delete a snapshot from primary storage')).action(
    async (id: string, options: { wait?: boolean; timeout: string }, command: Command) => {
      const context = CommandContext.of(command, io);
      const timeout = parseSeconds(options.timeout);
      const answer = await ok(context.client.api.DELETE('/snapshots/{id}', { params: { path: { id } } }));
      await context.accepted(answer, options.wait === true, timeout);
    },
  );
}
