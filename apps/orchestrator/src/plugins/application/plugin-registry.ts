import { backendPlugins, findPlugin } from '@strata/backends';
import type { BackendPlugin } from '@strata/plugin-sdk';

/**
 * The backends this build of Strata can drive (the @strata/backends registry). A class so
 * that it is its own injection token; tests provide another list.
 */
export abstract class PluginRegistry {
  abstract readonly plugins: readonly BackendPlugin[];
  abstract find(name: string): BackendPlugin | undefined;
}

export const registeredPlugins: PluginRegistry = { plugins: backendPlugins, find: findPlugin };
