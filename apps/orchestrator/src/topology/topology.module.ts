import { Module } from '@nestjs/common';
import { TopologyController } from './api/topology.controller';
import { TopologyQueries } from './application/topology.queries';

/** GET /zones and GET /clusters, summed from the pools, hosts and image stores read models. */
@Module({ controllers: [TopologyController], providers: [TopologyQueries] })
export class TopologyModule {}
