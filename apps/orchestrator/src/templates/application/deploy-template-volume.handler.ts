import { Injectable } from '@nestjs/common';
import { templateBaseId } from '@strata/contracts';
import { Clock, IdGenerator } from '@strata/service-kit';
import { DataSource } from 'typeorm';
import { DeploymentProcess } from '../../deployments/application/deployment-process';
import { invalidRequest, notFound, templateNotDeployable, templateNotReady } from '../../errors';
import type { RequestContext } from '../../http/request-context';
import { PoolEntity } from '../../read-model/infrastructure/pool.entity';
import { checkDeployRequest } from '../domain/deploy-request';
import { TemplateLookup } from './template-lookup';

export interface DeploymentAccepted {
  readonly jobId: string;
  readonly volumeId: string;
}

/**
 * POST /templates/{id}/volumes: a ROOT volume cloned from the template's cached base on the
 * pool. Checks what can be checked now (the template visible, a ready template rather than an
 * ISO, the body, the pool), then starts the deploy saga; its job follows the whole saga.
 */
@Injectable()
export class DeployTemplateVolumeHandler {
  constructor(
    private readonly templates: TemplateLookup,
    private readonly deployments: DeploymentProcess,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  async execute(templateId: string, body: unknown, context: RequestContext): Promise<DeploymentAccepted> {
    const template = await this.templates.visible(templateId, context);
    if (template.kind === 'iso') throw templateNotDeployable(templateId);
    if (template.status !== 'ready') throw templateNotReady(templateId, template.status);
    const check = checkDeployRequest(body, template);
    if (!check.ok) throw invalidRequest(check.violations);
    const { request } = check;
    const pool = await this.dataSource.getRepository(PoolEntity).findOne({ where: { id: request.poolId }, select: { id: true, status: true } });
    if (!pool || pool.status === 'deleted') throw notFound('pool', request.poolId);
    const volumeId = this.ids.newId();
    const jobId = this.ids.newId();
    await this.deployments.start({
      volumeId,
      templateId,
      poolId: request.poolId,
      baseId: templateBaseId(templateId, request.poolId),
      name: request.name,
      sizeBytes: request.sizeBytes,
      hypervisor: request.hypervisor,
      dataMoverHostId: request.dataMoverHostId,
      jobId,
      // The volume is the caller's.
      tenant: context.tenant,
      correlationId: context.correlationId ?? jobId,
      startedAt: this.clock.now().toISOString(),
    });
    return { jobId, volumeId };
  }
}
