import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiHeader, ApiTags } from '@nestjs/swagger';
import { EventHistoryView, toEventHistory } from '../../history/api/event.view';
import { AggregateHistoryQuery } from '../../history/application/aggregate-history.query';
import { mapPage } from '../../http/cursor';
import { CommandEndpoint, ReadEndpoint } from '../../http/endpoint-decorators';
import { ErrorView } from '../../http/error.view';
import { pageRequestOf } from '../../http/list-params';
import { QueryPipe } from '../../http/query-pipe';
import { Ctx, type RequestContext } from '../../http/request-context';
import { UuidParamPipe } from '../../http/uuid-param.pipe';
import { ImageStoreCommandsHandler } from '../application/image-store-commands.handler';
import { ImageStoreLookup } from '../application/image-store-lookup';
import { ListImageStoresQuery } from '../application/list-image-stores.query';
import { AddImageStoreRequest, ImageStoreAccepted, ImageStorePage, ImageStoreView, toImageStoreView } from './image-store.view';
import { ListImageStoresParams } from './list-image-stores.params';

@ApiTags('image-stores')
@ApiHeader({ name: 'X-Tenant', required: false, description: 'Tenants may read image stores; only operators add or remove them' })
@ApiBadRequestResponse({ type: ErrorView })
@Controller('image-stores')
export class ImageStoresController {
  constructor(
    private readonly commands: ImageStoreCommandsHandler,
    private readonly listStores: ListImageStoresQuery,
    private readonly stores: ImageStoreLookup,
    private readonly history: AggregateHistoryQuery,
  ) {}

  @Post()
  @CommandEndpoint({
    summary: "Add a zone's image store, a directory for templates and ISOs (AddImageStore command); operators only",
    accepted: ImageStoreAccepted,
    body: { type: AddImageStoreRequest },
    operatorOnly: true,
    badRequest: 'request.invalid: the AddImageStore rules (name, zoneId, an absolute path)',
  })
  add(@Body() body: unknown, @Ctx() context: RequestContext): Promise<ImageStoreAccepted> {
    return this.commands.add(body, context);
  }

  @Get()
  @ReadEndpoint({ summary: 'List image stores in the order they were added; removed ones only with status=removed', ok: ImageStorePage })
  async list(@Query(new QueryPipe(ListImageStoresParams)) params: ListImageStoresParams): Promise<ImageStorePage> {
    const { status, zoneId } = params;
    return mapPage(await this.listStores.execute({ status, zoneId }, pageRequestOf(params)), toImageStoreView);
  }

  @Get(':id')
  @ReadEndpoint({ summary: 'An image store, removed ones included', ok: ImageStoreView, notFound: 'image_store.not_found' })
  async get(@Param('id', UuidParamPipe) id: string): Promise<ImageStoreView> {
    return toImageStoreView(await this.stores.get(id));
  }

  @Get(':id/events')
  @ReadEndpoint({ summary: "The image store's event history, in stream order", ok: EventHistoryView, notFound: 'image_store.not_found' })
  async events(@Param('id', UuidParamPipe) id: string): Promise<EventHistoryView> {
    await this.stores.get(id);
    return toEventHistory(await this.history.execute(id));
  }

  @Delete(':id')
  @CommandEndpoint({
    summary: 'Remove an image store (RemoveImageStore command); refused by the image service while templates have copies on it; operators only',
    accepted: ImageStoreAccepted,
    operatorOnly: true,
    notFound: 'image_store.not_found',
    conflict: 'image_store.already_removed',
  })
  remove(@Param('id', UuidParamPipe) id: string, @Ctx() context: RequestContext): Promise<ImageStoreAccepted> {
    return this.commands.remove(id, context);
  }
}
