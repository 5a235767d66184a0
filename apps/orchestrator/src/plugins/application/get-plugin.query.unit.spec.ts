import { isDomainError } from '@strata/kernel';
import { GetPluginQuery } from './get-plugin.query';
import { ListPluginsQuery } from './list-plugins.query';
import { registeredPlugins } from './plugin-registry';

describe('plugin queries', () => {
  it('list every registered plugin, in registry order', () => {
    expect(new ListPluginsQuery(registeredPlugins).execute().map((p) => p.name)).toEqual(registeredPlugins.plugins.map((p) => p.manifest.name));
  });

  it('get one by name, or refuse with plugin.not_found', () => {
    const query = new GetPluginQuery(registeredPlugins);
    expect(query.execute('storpool').name).toBe('storpool');
    let error: unknown;
    try {
      query.execute('nfs');
    } catch (caught) {
      error = caught;
    }
    expect(isDomainError(error) && { code: error.code, category: error.category, message: error.message }).toEqual({
      code: 'plugin.not_found',
      category: 'not_found',
      message: 'plugin nfs does not exist',
    });
  });
});
