import { parseArgs } from 'node:util';
import { DEFAULT_POOL_KIB, startLinstorSimulator, type ProviderKind } from './linstor-simulator';

/**
 * Starts the LINSTOR simulator on its own, for demos and docker-compose:
 *
 *   node dist/linstor/simulator/main.js --port 3370 --data-dir /var/lib/linstor-sim \
 *     [--host 127.0.0.1] [--nodes node1,node2,node3] [--diskless-nodes kvm1,kvm2] \
 *     [--pool data] [--provider LVM_THIN] [--pool-size-gib 1024] \
 *     [--resource-group strata-rg] [--place-count 2] [--token <bearer token>]
 *
 * Prints the controller URL on stdout and runs until SIGINT or SIGTERM.
 */
const PROVIDERS: readonly ProviderKind[] = ['LVM', 'LVM_THIN', 'ZFS', 'ZFS_THIN', 'FILE', 'FILE_THIN'];

function list(value: string | undefined, fallback: string[]): string[] {
  return value === undefined ? fallback : value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a whole number`);
  return Number(value);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      host: { type: 'string' },
      nodes: { type: 'string' },
      'diskless-nodes': { type: 'string' },
      pool: { type: 'string' },
      provider: { type: 'string' },
      'pool-size-gib': { type: 'string' },
      'resource-group': { type: 'string' },
      'place-count': { type: 'string' },
      token: { type: 'string' },
    },
  });
  const dataDir = values['data-dir'];
  if (dataDir === undefined) throw new Error('--data-dir <dir> is required');
  const provider = (values.provider ?? 'LVM_THIN') as ProviderKind;
  if (!PROVIDERS.includes(provider)) throw new Error(`--provider must be one of ${PROVIDERS.join(', ')}`);
  const pool = values.pool ?? 'data';
  const totalKib = values['pool-size-gib'] === undefined ? DEFAULT_POOL_KIB : integer('pool-size-gib', values['pool-size-gib'], 0) * 1024 * 1024;
  const sim = await startLinstorSimulator({
    dataDir,
    port: integer('port', values.port, 3370),
    host: values.host ?? '127.0.0.1',
    nodes: list(values.nodes, ['node1', 'node2', 'node3']).map((name) => ({ name, pools: [{ name: pool, provider, totalKib }] })),
    disklessNodes: list(values['diskless-nodes'], []),
    resourceGroups: [{ name: values['resource-group'] ?? 'strata-rg', placeCount: integer('place-count', values['place-count'], 2), storagePools: [pool] }],
    token: values.token,
  });
  process.stdout.write(`${sim.url}\n`);
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`linstor simulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
