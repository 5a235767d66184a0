import { Inject, Injectable } from '@nestjs/common';
import type { DeregisterHostData, Envelope, RegisterHostData, Topics } from '@strata/contracts';
import { AggregateRunner, commandMeta, TOPICS } from '@strata/service-kit';
import { DataSource } from 'typeorm';
import { CONSUMER_GROUP, SCHEMA } from '../../storage.constants';
import { hostDecider, hostStreamId, type HostState } from '../domain/host';

/** Reads a host's state from its stream. */
@Injectable()
export class HostReader {
  constructor(private readonly runner: AggregateRunner) {}
  async get(hostId: string): Promise<HostState> {
    return (await this.runner.load(hostDecider, hostStreamId(hostId))).state;
  }
}

/** Volumes attached to a host now, from the log: attaches without a later detach. */
@Injectable()
export class HostAttachments {
  constructor(private readonly dataSource: DataSource) {}
  async attachedVolumeIds(hostId: string): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT a.data->>'volumeId' AS id
         FROM "${SCHEMA}".events a
        WHERE a.type = 'VolumeAttached' AND a.data->>'hostId' = $1
          AND NOT EXISTS (
            SELECT 1 FROM "${SCHEMA}".events d
             WHERE d.stream_id = a.stream_id AND d.global_position > a.global_position
               AND (d.type = 'VolumeDeleted' OR (d.type = 'VolumeDetached' AND d.data->>'hostId' = $1)))`,
      [hostId],
    );
    return rows.map((r) => r.id);
  }
}

@Injectable()
export class RegisterHostHandler {
  constructor(
    private readonly runner: AggregateRunner,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}
  async handle(command: Envelope<'RegisterHost', RegisterHostData>): Promise<void> {
    const hostId = command.aggregateId;
    const { data } = command;
    await this.runner.execute(
      hostDecider,
      hostStreamId(hostId),
      hostId,
      () => ({
        type: 'RegisterHost' as const,
        host: {
          hostId,
          name: data.name,
          zoneId: data.zoneId,
          clusterId: data.clusterId ?? null,
          hypervisor: data.hypervisor,
          identities: { ...(data.identities ?? {}) },
        },
      }),
      commandMeta(command),
      { outboxTopic: this.topics.storageEvents, inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId } },
    );
  }
}

/** Refused while volumes are attached to the host, listing them. */
@Injectable()
export class DeregisterHostHandler {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly attachments: HostAttachments,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}
  async handle(command: Envelope<'DeregisterHost', DeregisterHostData>): Promise<void> {
    const hostId = command.aggregateId;
    const attachedVolumeIds = await this.attachments.attachedVolumeIds(hostId);
    await this.runner.execute(
      hostDecider,
      hostStreamId(hostId),
      hostId,
      () => ({ type: 'DeregisterHost' as const, hostId, attachedVolumeIds }),
      commandMeta(command),
      { outboxTopic: this.topics.storageEvents, inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId } },
    );
  }
}
