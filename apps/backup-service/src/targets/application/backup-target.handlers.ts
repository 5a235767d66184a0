import { Inject, Injectable } from '@nestjs/common';
import type { AddBackupTargetData, Envelope, RemoveBackupTargetData, Topics } from '@strata/contracts';
import { AggregateRunner, commandMeta, TOPICS } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../../backup.constants';
import { backupTargetDecider, backupTargetStreamId } from '../domain/backup-target';
import { TargetProbe } from '../infrastructure/target-probe';
import { TargetSecrets } from '../infrastructure/target-secrets';
import { BackupsOnTarget } from './backups-on-target';
import { settingsFromCommand, splitTargetSecrets } from './target-settings';

/**
 * AddBackupTarget: the target is reached (directory written to, bucket found and written to)
 * before anything is recorded. The event carries the settings with the secret key as "***";
 * the key itself is sealed into backup.target_secrets in the same transaction.
 */
@Injectable()
export class AddBackupTargetHandler {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly probe: TargetProbe,
    private readonly secrets: TargetSecrets,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async handle(command: Envelope<'AddBackupTarget', AddBackupTargetData>): Promise<void> {
    const targetId = command.aggregateId;
    const streamId = backupTargetStreamId(targetId);
    const settings = settingsFromCommand(command.data);
    const { config, secrets } = splitTargetSecrets(settings);
    const decide = () => ({ type: 'AddBackupTarget' as const, target: { targetId, name: command.data.name, kind: settings.kind, config } });
    // The decider's refusals first: a duplicate is refused as such, not for what a probe of it finds.
    const { state } = await this.runner.load(backupTargetDecider, streamId);
    backupTargetDecider.decide(decide(), state);
    if (Object.keys(secrets).length > 0) this.secrets.assertCanSeal();
    await this.probe.check(settings);
    await this.runner.execute(backupTargetDecider, streamId, targetId, decide, commandMeta(command), {
      outboxTopic: this.topics.backupEvents,
      inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId },
      alsoWrite: (manager) => this.secrets.save(manager, targetId, secrets),
    });
  }
}

/** RemoveBackupTarget: refused while backups are kept on it; its sealed credentials go with it. What is stored on the target stays. */
@Injectable()
export class RemoveBackupTargetHandler {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly backups: BackupsOnTarget,
    private readonly secrets: TargetSecrets,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async handle(command: Envelope<'RemoveBackupTarget', RemoveBackupTargetData>): Promise<void> {
    const targetId = command.aggregateId;
    const backupCount = await this.backups.count(targetId);
    await this.runner.execute(
      backupTargetDecider,
      backupTargetStreamId(targetId),
      targetId,
      () => ({ type: 'RemoveBackupTarget' as const, targetId, backupCount }),
      commandMeta(command),
      {
        outboxTopic: this.topics.backupEvents,
        inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId },
        alsoWrite: (manager) => this.secrets.remove(manager, targetId),
      },
    );
  }
}
