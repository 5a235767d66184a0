import { Injectable } from '@nestjs/common';
import { AggregateRunner } from '@strata/service-kit';
import { PgEventStore } from '@strata/event-store';
import { IMAGE_STORE_STREAM_PREFIX, imageStoreDecider, imageStoreStreamId, type ImageStoreFacts, type ImageStoreState } from '../domain/image-store';

export type ActiveImageStore = ImageStoreFacts & { readonly status: 'active' };

/** The image stores, read from the log (a handful per installation: folding them all is cheap). */
@Injectable()
export class ImageStoreCatalog {
  constructor(
    private readonly store: PgEventStore,
    private readonly runner: AggregateRunner,
  ) {}

  async load(imageStoreId: string): Promise<ImageStoreState> {
    return (await this.runner.load(imageStoreDecider, imageStoreStreamId(imageStoreId))).state;
  }

  /** The store's facts, also once removed (its path is still where old files were); null when unknown. */
  async get(imageStoreId: string): Promise<ImageStoreFacts | null> {
    const state = await this.load(imageStoreId);
    return state.status === 'absent' ? null : state;
  }

  async active(): Promise<ActiveImageStore[]> {
    const ids = await this.store.streamIds(IMAGE_STORE_STREAM_PREFIX);
    const states = await Promise.all(ids.map((streamId) => this.load(streamId.slice(IMAGE_STORE_STREAM_PREFIX.length))));
    return states.filter((s): s is ActiveImageStore => s.status === 'active');
  }

  /** The store that takes a zone's new templates and copies: the zone's oldest; null when the zone has none. */
  async forZone(zoneId: string): Promise<ActiveImageStore | null> {
    return (await this.active()).find((s) => s.zoneId === zoneId) ?? null;
  }
}
