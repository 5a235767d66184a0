import { Module } from '@nestjs/common';
import { CommandSubmitter } from './command-submitter';

@Module({ providers: [CommandSubmitter], exports: [CommandSubmitter] })
export class CommandsModule {}
