import type { BackendPlugin } from '@strata/plugin-sdk';
import { filePlugin } from './file';

/**
 * Every backend Strata can drive. Adding one is a folder beside file/ and a
 * line here; registry.unit.spec.ts then checks its manifest.
 */
export const backendPlugins: readonly BackendPlugin[] = Object.freeze([filePlugin]);

export function findPlugin(name: string): BackendPlugin | undefined {
  return backendPlugins.find((plugin) => plugin.manifest.name === name);
}
