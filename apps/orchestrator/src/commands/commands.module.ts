import { Module } from '@nestjs/common';
import { CommandSubmitter } from './application/command-submitter';

@Module({ providers: [CommandSubmitter], exports: [CommandSubmitter] })
export class CommandsModule {}
