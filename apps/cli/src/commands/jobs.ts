import type { Command } from 'commander';
import { ok, type ListQuery, type Schemas } from '@strata/client';
import { CommandContext, renderJob, type Io } from '../context';
import type { Column } from '../output/table';
import { fetchList, printPage, type PageOptions } from './lists';
import { parseSeconds } from './options';

type Job = Schemas['JobView'];

export const JOB_COLUMNS: readonly Column<Job>[] = [
  { header: 'ID', value: (j) => j.id },
  { header: 'COMMAND', value: (j) => j.commandType },
  { header: 'STATUS', value: (j) => j.status + (j.progress === null || j.status !== 'running' ? '' : ` ${Math.round(j.progress)}%`) },
  { header: 'RESOURCE', value: (j) => j.aggregateId },
  { header: 'ERROR', value: (j) => j.error?.code },
  { header: 'CREATED', value: (j) => j.createdAt },
];

export function registerJobs(program: Command, io: Io): void {
  const jobs = program.command('jobs').description("commands' jobs: list, show one, wait for one");

  jobs
    .command('list')
    .description('jobs, newest first: one page (--limit, default 50; --cursor for the next)')
    .option('--state <status>', 'accepted, running, succeeded or failed')
    .option('--type <commandType>', 'exact command type, e.g. CreateVolume')
    .option('--resource <id>', 'the resource the command is about')
    .option('--owner <tenant>', "only this tenant's jobs")
    .option('--limit <n>', 'at most n jobs', '50')
    .option('--cursor <cursor>', 'the page after this nextCursor')
    .action(async (options: PageOptions & { state?: ListQuery<'/jobs'>['status']; type?: string; resource?: string; owner?: string }, command: Command) => {
      const context = CommandContext.of(command, io);
      const query = { status: options.state, type: options.type, resourceId: options.resource, tenant: options.owner };
      printPage(context, await fetchList(context, '/jobs', query, options), JOB_COLUMNS);
    });

  jobs
    .command('show <id>')
    .description('a job as it is now')
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = CommandContext.of(command, io);
      const job = await ok(context.client.api.GET('/jobs/{id}', { params: { path: { id } } }));
      context.print(job, () => renderJob(job));
    });

  jobs
    .command('wait <id>')
    .description('follow a job to its end: exit code 0 when it succeeded, 1 when it failed (its error printed)')
    .option('--timeout <seconds>', 'give up after this long', '600')
    .action(async (id: string, options: { timeout: string }, command: Command) => {
      const context = CommandContext.of(command, io);
      const job = await context.follow(id, parseSeconds(options.timeout));
      context.print(job, () => renderJob(job));
    });
}
