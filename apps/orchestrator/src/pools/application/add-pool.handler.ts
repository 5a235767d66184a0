import { Injectable } from '@nestjs/common';
import { IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import type { RequestContext } from '../../http/request-context';
import { PluginRegistry } from '../../plugins/application/plugin-registry';
import { checkPoolBackendSettings } from '../domain/pool-backend-settings';

/**
 * POST /pools: the command's own rules and the plugin's (registered, URL readable, config
 * valid) are checked here, so a mistyped setting is a 400 now rather than a failed job
 * later. Whether the backend answers is still the storage service's to find out.
 */
@Injectable()
export class AddPoolHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly ids: IdGenerator,
    private readonly plugins: PluginRegistry,
  ) {}

  async execute(body: unknown, context: RequestContext): Promise<{ jobId: string; poolId: string }> {
    const poolId = this.ids.newId();
    const pluginViolations = checkPoolBackendSettings(body, this.plugins);
    const jobId = await this.commands.submit('AddStoragePool', poolId, body, context, pluginViolations);
    return { jobId, poolId };
  }
}
