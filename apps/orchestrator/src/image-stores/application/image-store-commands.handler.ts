import { Injectable } from '@nestjs/common';
import { IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { imageStoreAlreadyRemoved } from '../../errors';
import type { RequestContext } from '../../http/request-context';
import { ImageStoreLookup } from './image-store-lookup';

export interface ImageStoreCommandAccepted {
  readonly jobId: string;
  readonly imageStoreId: string;
}

/**
 * AddImageStore and RemoveImageStore, to the image service through the same submitter and
 * outbox as every command. Whether the directory is usable, or a store still holds copies,
 * is the image service's to decide: the job then fails with the reason.
 */
@Injectable()
export class ImageStoreCommandsHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly stores: ImageStoreLookup,
    private readonly ids: IdGenerator,
  ) {}

  async add(body: unknown, context: RequestContext): Promise<ImageStoreCommandAccepted> {
    const imageStoreId = this.ids.newId();
    const jobId = await this.commands.submit('AddImageStore', imageStoreId, body, context);
    return { jobId, imageStoreId };
  }

  /** DELETE /image-stores/{id}; a body sent with it is ignored, as for every DELETE. */
  async remove(imageStoreId: string, context: RequestContext): Promise<ImageStoreCommandAccepted> {
    const store = await this.stores.get(imageStoreId);
    if (store.status === 'removed') throw imageStoreAlreadyRemoved(imageStoreId);
    const jobId = await this.commands.submit('RemoveImageStore', imageStoreId, {}, context);
    return { jobId, imageStoreId };
  }
}
