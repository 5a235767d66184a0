import { Injectable } from '@nestjs/common';
import { AggregateRunner } from '@strata/service-kit';
import { backupTargetDecider, backupTargetStreamId, type BackupTargetState } from '../domain/backup-target';

/** A target's current state from its stream (config redacted); what other contexts may know of a target. */
@Injectable()
export class BackupTargetReader {
  constructor(private readonly runner: AggregateRunner) {}

  async get(targetId: string): Promise<BackupTargetState> {
    return (await this.runner.load(backupTargetDecider, backupTargetStreamId(targetId))).state;
  }
}
