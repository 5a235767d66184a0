import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiTags } from '@nestjs/swagger';
import { ReadEndpoint } from '../../http/endpoint-decorators';
import { ErrorView } from '../../http/error.view';
import { QueryPipe } from '../../http/query-pipe';
import { TopologyQueries } from '../application/topology.queries';
import { decodeClusterCursor, decodeZoneCursor } from '../domain/topology';
import { ClusterPage, ZonePage } from './topology.views';
import { cursorOf, ListClustersParams, TopologyPageParams } from './topology.params';

/** Zones and clusters: shared infrastructure every role may read (as pools and hosts), no one changes here. */
@ApiTags('topology')
@ApiBadRequestResponse({ type: ErrorView })
@Controller()
export class TopologyController {
  constructor(private readonly topology: TopologyQueries) {}

  @Get('zones')
  @ReadEndpoint({ summary: 'Zones (every zone a pool, host or image store names), by id, with what each holds', ok: ZonePage })
  async zones(@Query(new QueryPipe(TopologyPageParams)) params: TopologyPageParams): Promise<ZonePage> {
    const { after, limit } = cursorOf(params, decodeZoneCursor);
    return this.topology.zones(after, limit);
  }

  @Get('clusters')
  @ReadEndpoint({ summary: 'Clusters (every cluster a pool or host names) with their zone, zone by zone', ok: ClusterPage })
  async clusters(@Query(new QueryPipe(ListClustersParams)) params: ListClustersParams): Promise<ClusterPage> {
    const { after, limit } = cursorOf(params, decodeClusterCursor);
    return this.topology.clusters(after, limit, params.zoneId);
  }
}
