import type { Command } from 'commander';
import { ok, type ListQuery, type Schemas } from '@strata/client';
import { CommandContext, type Io } from '../context';
import { formatBytes, formatUsage } from '../output/sizes';
import { renderFields, type Column } from '../output/table';
import { fetchList, printPage, type PageOptions } from './lists';
import { collect, parseKeyValues, parseSeconds, withPaging, withWait } from './options';

type Pool = Schemas['PoolView'];

export const POOL_COLUMNS: readonly Column<Pool>[] = [
  { header: 'ID', value: (p) => p.id },
  { header: 'NAME', value: (p) => p.name },
  { header: 'PLUGIN', value: (p) => p.plugin },
  { header: 'ZONE', value: (p) => p.zoneId },
  { header: 'STATUS', value: (p) => p.status },
  { header: 'CAPACITY (USED / TOTAL)', value: (p) => formatUsage(p.usedBytes, p.capacityBytes), align: 'right' },
  { header: 'VOLUMES', value: (p) => p.volumeCount, align: 'right' },
];

export function renderPool(p: Pool): string {
  return renderFields([
    ['id', p.id],
    ['name', p.name],
    ['plugin', p.plugin],
    ['zone', p.zoneId],
    ['cluster', p.clusterId],
    ['status', p.status + (p.disabledReason ? ` (${p.disabledReason})` : '') + (p.maintenance ? ` (${p.maintenance.phase})` : '')],
    ['tags', p.tags.join(', ')],
    ['capacity', formatUsage(p.usedBytes, p.capacityBytes)],
    ['allocated', formatBytes(p.allocatedBytes)],
    ['allocatable', formatBytes(p.allocatableBytes)],
    ['volumes', p.volumeCount],
    ['measured', p.capacityMeasuredAt],
    ['config', JSON.stringify(p.config)],
    ['created', p.createdAt],
  ]);
}

export function registerPools(program: Command, io: Io): void {
  const pools = program.command('pools').description('storage pools: list, show, add');

  withPaging(pools.command('list').description('pools with their capacity (deleted ones only with --status deleted)'))
    .option('--status <status>', 'enabled, disabled, maintenance or deleted')
    .option('--zone <zoneId>', 'only this zone')
    .action(async (options: PageOptions & { status?: ListQuery<'/pools'>['status']; zone?: string }, command: Command) => {
      const context = CommandContext.of(command, io);
      const page = await fetchList(context, '/pools', { status: options.status, zoneId: options.zone }, options);
      printPage(context, page, POOL_COLUMNS);
    });

  pools
    .command('show <id>')
    .description('one pool')
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = CommandContext.of(command, io);
      const pool = await ok(context.client.api.GET('/pools/{id}', { params: { path: { id } } }));
      context.print(pool, () => renderPool(pool));
    });

  withWait(
    pools
      .command('add')
      .description('add a pool (operators; admins when it carries credentials)')
      .requiredOption('--name <name>', 'the pool name')
      .requiredOption('--plugin <plugin>', 'a registered plugin, e.g. file')
      .requiredOption('--zone <zoneId>', 'the zone it serves')
      .option('--cluster <clusterId>', 'cluster scope (zone-wide without it)')
      .option('--tag <tag>', 'a tag (repeat for more)', collect)
      .option('--config <key=value>', "one of the plugin's settings (repeat for more)", collect)
      .option('--pool-url <url>', 'the pool as a URL instead of --config (plugins that accept one)'),
  ).action(
    async (
      options: { name: string; plugin: string; zone: string; cluster?: string; tag?: string[]; config?: string[]; poolUrl?: string; wait?: boolean; timeout: string },
      command: Command,
    ) => {
      const context = CommandContext.of(command, io);
      const timeout = parseSeconds(options.timeout);
      const body = {
        name: options.name,
        plugin: options.plugin,
        zoneId: options.zone,
        ...(options.cluster ? { clusterId: options.cluster } : {}),
        ...(options.tag ? { tags: options.tag } : {}),
        ...(options.config ? { config: parseKeyValues(options.config) } : {}),
        ...(options.poolUrl ? { url: options.poolUrl } : {}),
      };
      const answer = await ok(context.client.api.POST('/pools', { body }));
      await context.accepted(answer, options.wait === true, timeout);
    },
  );
}
