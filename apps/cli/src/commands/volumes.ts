import { InvalidArgumentError, type Command } from 'commander';
import { ok, type ListQuery, type Schemas } from '@strata/client';
import { CommandContext, type Io } from '../context';
import { formatBytes, parseSize } from '../output/sizes';
import { renderFields, type Column } from '../output/table';
import { UsageError } from '../output/usage-error';
import { fetchList, printPage, type PageOptions } from './lists';
import { collect, parseSeconds, withPaging, withWait } from './options';

type Volume = Schemas['VolumeView'];
type VolumeStatus = ListQuery<'/volumes'>['status'];
type CreateVolume = Schemas['CreateVolumeRequest'];

export const VOLUME_COLUMNS: readonly Column<Volume>[] = [
  { header: 'ID', value: (v) => v.id },
  { header: 'NAME', value: (v) => v.name },
  { header: 'SIZE', value: (v) => formatBytes(v.sizeBytes), align: 'right' },
  { header: 'STATUS', value: (v) => v.status },
  { header: 'POOL', value: (v) => v.poolId },
  { header: 'TENANT', value: (v) => v.tenant },
];

export function renderVolume(v: Volume): string {
  return renderFields([
    ['id', v.id],
    ['name', v.name],
    ['status', v.status],
    ['size', `${formatBytes(v.sizeBytes)} (${v.sizeBytes} bytes)`],
    ['resizing to', v.resizeToBytes === null ? null : formatBytes(v.resizeToBytes)],
    ['type', v.volumeType],
    ['provisioning', v.provisioning],
    ['pool', v.poolId],
    ['tenant', v.tenant],
    ['path', v.path],
    ['attached to', v.attachments.map((a) => `${a.hostId} (${a.devicePath})`).join(', ')],
    ['last error', v.lastError ? `${v.lastError.code}: ${v.lastError.message}` : null],
    ['created', v.createdAt],
    ['updated', v.updatedAt],
  ]);
}

/** commander's parser for --size: a usage error names the option. */
export function sizeOption(text: string): number {
  try {
    return parseSize(text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export function registerVolumes(program: Command, io: Io): void {
  const volumes = program.command('volumes').description('volumes: list, show, create, resize, delete');

  withPaging(volumes.command('list').description('volumes in creation order (deleted ones only with --state deleted)'))
    .option('--pool <poolId>', 'only on this pool')
    .option('--state <status>', 'only in this state: ready, attached, creating, error, deleted, ...')
    .option('--name <name>', 'exact name')
    .option('--owner <tenant>', "only this tenant's volumes")
    .action(async (options: PageOptions & { pool?: string; state?: VolumeStatus; name?: string; owner?: string }, command: Command) => {
      const context = CommandContext.of(command, io);
      const query = { poolId: options.pool, status: options.state, name: options.name, tenant: options.owner };
      const page = await fetchList(context, '/volumes', query, options);
      printPage(context, page, VOLUME_COLUMNS);
    });

  volumes
    .command('show <id>')
    .description('one volume')
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = CommandContext.of(command, io);
      const volume = await ok(context.client.api.GET('/volumes/{id}', { params: { path: { id } } }));
      context.print(volume, () => renderVolume(volume));
    });

  withWait(
    volumes
      .command('create')
      .description('create a volume on a pool (--pool) or where allocation puts it in a zone (--zone)')
      .requiredOption('--name <name>', 'the volume name')
      .requiredOption('--size <size>', 'e.g. 10GiB, 512MiB, or bytes', sizeOption)
      .option('--pool <poolId>', 'the pool to create it on')
      .option('--zone <zoneId>', 'allocation: the zone to place it in')
      .option('--cluster <clusterId>', 'allocation: only pools of this cluster')
      .option('--pool-tag <tag>', 'allocation: a tag every candidate pool must carry (repeat for more)', collect)
      .option('--policy <policy>', 'allocation: first-fit or most-free')
      .option('--thick', 'thick provisioning (default thin)')
      .option('--root', 'an empty ROOT volume instead of DATA'),
  ).action(
    async (
      options: {
        name: string;
        size: number;
        pool?: string;
        zone?: string;
        cluster?: string;
        poolTag?: string[];
        policy?: string;
        thick?: boolean;
        root?: boolean;
        wait?: boolean;
        timeout: string;
      },
      command: Command,
    ) => {
      if (!options.pool && !options.zone) throw new UsageError('give --pool <poolId> or --zone <zoneId>');
      const context = CommandContext.of(command, io);
      const timeout = parseSeconds(options.timeout);
      const body: CreateVolume = {
        name: options.name,
        sizeBytes: options.size,
        ...(options.pool ? { poolId: options.pool } : {}),
        ...(options.zone ? { zoneId: options.zone } : {}),
        ...(options.cluster ? { clusterId: options.cluster } : {}),
        ...(options.poolTag ? { poolTags: options.poolTag } : {}),
        ...(options.policy ? { allocationPolicy: options.policy as CreateVolume['allocationPolicy'] } : {}),
        ...(options.thick ? { provisioning: 'thick' as const } : {}),
        ...(options.root ? { volumeType: 'ROOT' as const } : {}),
      };
      const answer = await ok(context.client.api.POST('/volumes', { body }));
      await context.accepted(answer, options.wait === true, timeout);
    },
  );

  withWait(
    volumes
      .command('resize <id>')
      .description('grow a volume (or shrink it with --allow-shrink where the backend can)')
      .requiredOption('--size <size>', 'the new size, e.g. 20GiB', sizeOption)
      .option('--allow-shrink', 'allow a smaller size (data past it is lost)'),
  ).action(async (id: string, options: { size: number; allowShrink?: boolean; wait?: boolean; timeout: string }, command: Command) => {
    const context = CommandContext.of(command, io);
    const timeout = parseSeconds(options.timeout);
    const body = { sizeBytes: options.size, ...(options.allowShrink ? { allowShrink: true } : {}) };
    const answer = await ok(context.client.api.POST('/volumes/{id}/resize', { params: { path: { id } }, body }));
    await context.accepted(answer, options.wait === true, timeout);
  });

  withWait(
    volumes
      .command('delete <id>')
      .description('delete a volume; one with snapshots is refused (volume.has_snapshots) unless --delete-snapshots')
      .option('--delete-snapshots', "delete the volume's snapshots with it"),
  ).action(async (id: string, options: { deleteSnapshots?: boolean; wait?: boolean; timeout: string }, command: Command) => {
    const context = CommandContext.of(command, io);
    const timeout = parseSeconds(options.timeout);
    const query = options.deleteSnapshots ? { deleteSnapshots: 'true' as const } : {};
    const answer = await ok(context.client.api.DELETE('/volumes/{id}', { params: { path: { id }, query } }));
    await context.accepted(answer, options.wait === true, timeout);
  });
}
