import { Controller, Get, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Roles } from '../../auth/roles.decorator';
import { CommandEndpoint, ReadEndpoint } from '../../http/endpoint-decorators';
import { ReadModelRebuild } from '../application/read-model-rebuild';
import { ReadModelsStatusQuery } from '../application/read-models-status.query';
import { RebuildAccepted, ReadModelsView, toReadModelsView } from './read-models.view';

@ApiTags('read-models')
@Controller('read-models')
export class ReadModelsController {
  constructor(
    private readonly rebuild: ReadModelRebuild,
    private readonly status: ReadModelsStatusQuery,
  ) {}

  @Get()
  @Roles('admin', 'operator')
  @ReadEndpoint({ summary: 'Whether the read models are live or being rebuilt, the last rebuild, and the projection lag', ok: ReadModelsView })
  async get(): Promise<ReadModelsView> {
    return toReadModelsView(await this.status.execute());
  }

  @Post('rebuild')
  @Roles('admin')
  @CommandEndpoint({
    summary: 'Rebuild the read models from the event topics, from scratch (admin only); reads are incomplete until it finishes',
    accepted: RebuildAccepted,
    conflict: 'read_models.rebuild_running: a rebuild is already running',
  })
  async start(): Promise<RebuildAccepted> {
    return { jobId: await this.rebuild.request() };
  }
}
