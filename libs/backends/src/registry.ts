import type { BackendPlugin } from '@strata/plugin-sdk';
import { filePlugin } from './file';
import { linstorPlugin } from './linstor';
import { powerflexPlugin } from './powerflex';
import { storpoolPlugin } from './storpool';

/**
 * Every backend Strata can drive. Adding one is a folder beside file/ and a
 * line here; registry.unit.spec.ts then checks its manifest.
 */
export const backendPlugins: readonly BackendPlugin[] = Object.freeze([
  filePlugin,
  powerflexPlugin,
  linstorPlugin,
  storpoolPlugin,
]);

export function findPlugin(name: string): BackendPlugin | undefined {
  return backendPlugins.find((plugin) => plugin.manifest.name === name);
}
