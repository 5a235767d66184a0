import { checkManifest, isBackendError } from '@strata/plugin-sdk';
import { backendPlugins, findPlugin } from './registry';

describe('backend registry', () => {
  it('registers the file backend', () => {
    expect(backendPlugins.map((plugin) => plugin.manifest.name)).toContain('file');
  });

  it('has unique plugin names', () => {
    const names = backendPlugins.map((plugin) => plugin.manifest.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(backendPlugins)).toBe(true);
  });

  describe.each(backendPlugins.map((plugin) => [plugin.manifest.name, plugin] as const))('%s', (name, plugin) => {
    it('has a well-formed manifest', () => {
      expect(checkManifest(plugin.manifest)).toEqual([]);
    });

    it('is found by its name', () => {
      expect(findPlugin(name)).toBe(plugin);
    });

    it('refuses an empty config as invalid, naming at least one field', () => {
      let error: unknown;
      try {
        plugin.parseConfig({});
      } catch (caught) {
        error = caught;
      }
      expect(isBackendError(error) && error.kind).toBe('invalid');
      expect(isBackendError(error) && error.details.violations?.length).toBeGreaterThan(0);
    });
  });

  it('finds nothing for an unknown name', () => {
    expect(findPlugin('no-such-backend')).toBeUndefined();
  });
});
