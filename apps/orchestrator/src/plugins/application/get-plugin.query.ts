import { Injectable } from '@nestjs/common';
import { notFound } from '../../errors';
import { describePlugin, type PluginDescription } from '../domain/plugin-description';
import { PluginRegistry } from './plugin-registry';

@Injectable()
export class GetPluginQuery {
  constructor(private readonly registry: PluginRegistry) {}

  execute(name: string): PluginDescription {
    const plugin = this.registry.find(name);
    if (!plugin) throw notFound('plugin', name);
    return describePlugin(plugin);
  }
}
