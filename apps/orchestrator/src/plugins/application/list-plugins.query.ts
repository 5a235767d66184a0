import { Injectable } from '@nestjs/common';
import { describePlugin, type PluginDescription } from '../domain/plugin-description';
import { PluginRegistry } from './plugin-registry';

/** Every registered backend, described for an admin, in registry order. */
@Injectable()
export class ListPluginsQuery {
  constructor(private readonly registry: PluginRegistry) {}

  execute(): PluginDescription[] {
    return this.registry.plugins.map(describePlugin);
  }
}
