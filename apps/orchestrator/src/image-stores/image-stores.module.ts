import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { HistoryModule } from '../history/history.module';
import { ImageStoresController } from './api/image-stores.controller';
import { ImageStoreCommandsHandler } from './application/image-store-commands.handler';
import { ImageStoreLookup } from './application/image-store-lookup';
import { ListImageStoresQuery } from './application/list-image-stores.query';

/** The zones' image stores: their commands go to the image service, their view comes from its events. */
@Module({
  imports: [CommandsModule, HistoryModule],
  controllers: [ImageStoresController],
  providers: [ImageStoreCommandsHandler, ImageStoreLookup, ListImageStoresQuery],
})
export class ImageStoresModule {}
