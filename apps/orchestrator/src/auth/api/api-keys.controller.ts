import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConflictResponse, ApiCreatedResponse, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { EventHistoryView, toEventHistory } from '../../history/api/event.view';
import { BodyPipe } from '../../http/body-pipe';
import { mapPage } from '../../http/cursor';
import { ReadEndpoint } from '../../http/endpoint-decorators';
import { ErrorView } from '../../http/error.view';
import { pageRequestOf } from '../../http/list-params';
import { QueryPipe } from '../../http/query-pipe';
import { Caller, Ctx, type RequestContext } from '../../http/request-context';
import { UuidParamPipe } from '../../http/uuid-param.pipe';
import { ApiKeyQueries } from '../application/api-key-queries';
import { CreateApiKeyHandler } from '../application/create-api-key.handler';
import { RevokeApiKeyHandler } from '../application/revoke-api-key.handler';
import type { Principal } from '../domain/principal';
import { Roles } from '../roles.decorator';
import { CreateApiKeyRequest, ListApiKeysParams } from './api-key.requests';
import { ApiKeyPage, ApiKeyView, CreatedApiKeyView, toApiKeyView } from './api-key.view';

const UNKNOWN_KEY = 'api_key.not_found';

/** API keys: made, listed and revoked by admins only. The secret is shown once, in the answer to POST. */
@ApiTags('api-keys')
@Roles('admin')
@ApiBadRequestResponse({ type: ErrorView })
@Controller('api-keys')
export class ApiKeysController {
  constructor(
    private readonly createKey: CreateApiKeyHandler,
    private readonly revokeKey: RevokeApiKeyHandler,
    private readonly queries: ApiKeyQueries,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Make an API key; the answer is the only place the key is ever shown (admin only)' })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiBody({ type: CreateApiKeyRequest })
  @ApiCreatedResponse({ type: CreatedApiKeyView })
  async create(@Body(new BodyPipe(CreateApiKeyRequest)) body: CreateApiKeyRequest, @Caller() caller: Principal, @Ctx() context: RequestContext): Promise<CreatedApiKeyView> {
    const { key, secret } = await this.createKey.execute(body, caller, context.correlationId);
    return { ...toApiKeyView(key), key: secret };
  }

  @Get()
  @ReadEndpoint({ summary: 'List API keys in the order they were made, revoked ones included (admin only)', ok: ApiKeyPage })
  async list(@Query(new QueryPipe(ListApiKeysParams)) params: ListApiKeysParams): Promise<ApiKeyPage> {
    return mapPage(await this.queries.list(pageRequestOf(params)), toApiKeyView);
  }

  @Get(':id')
  @ReadEndpoint({ summary: 'An API key (admin only)', ok: ApiKeyView, notFound: UNKNOWN_KEY })
  async get(@Param('id', UuidParamPipe) id: string): Promise<ApiKeyView> {
    return toApiKeyView(await this.queries.get(id));
  }

  @Get(':id/events')
  @ReadEndpoint({ summary: "The key's lifecycle (ApiKeyCreated, ApiKeyRevoked) with the acting key's id (admin only)", ok: EventHistoryView, notFound: UNKNOWN_KEY })
  async events(@Param('id', UuidParamPipe) id: string): Promise<EventHistoryView> {
    return toEventHistory(await this.queries.history(id));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke an API key: it stops working at once; revoking twice changes nothing (admin only)' })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ReadEndpoint({ ok: ApiKeyView, notFound: UNKNOWN_KEY })
  @ApiConflictResponse({ type: ErrorView, description: 'api_key.last_admin: the last active admin key cannot be revoked' })
  async revoke(@Param('id', UuidParamPipe) id: string, @Caller() caller: Principal, @Ctx() context: RequestContext): Promise<ApiKeyView> {
    return toApiKeyView(await this.revokeKey.execute(id, caller, context.correlationId));
  }
}
