import { Module } from '@nestjs/common';
import { CommandSubmitter } from './application/command-submitter';
import { OutboxSecretScrubber } from './application/outbox-secret-scrubber';

@Module({ providers: [CommandSubmitter, OutboxSecretScrubber], exports: [CommandSubmitter] })
export class CommandsModule {}
