import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import type { BackendObject, FaultPool } from './pools';
import { log } from './report';
import { CLIENT_TIMEOUT_MS, faultInjector, HELD_MS, simCall, startSimulatorProcess } from './storpool-pool';

const STORAGE_POOL = 'pool1';

interface Inventory {
  readonly volumes: { id: string; name: string | null; volumeType: string; storagePoolId: string }[];
  readonly pools: { id: string; name: string }[];
  readonly pendingFaults: number;
}

/**
 * A PowerFlex pool on the PowerFlex simulator (the gateway's /api), run as a process with its
 * data under `dir`; faults as on StorPool (see faultInjector). A PowerFlex name holds at most
 * 31 characters, so a volume's name carries only the first 17 hex digits of its id
 * (vol-<17 hex>-<pool key>-<installation>): the full id is looked up among the volumes the
 * storage service recorded (`databaseUrl`, its storage.events). A name no recorded volume
 * matches stays without an id, which the run counts as an orphan.
 */
export async function powerflexPool(dir: string, databaseUrl: string): Promise<FaultPool> {
  // A password of the run's own, with a prefix a search of the logs for a leak can find.
  const password = `strata-faults-pf-${randomBytes(12).toString('base64url')}`;
  const dataDir = path.join(dir, 'powerflex');
  await mkdir(dataDir, { recursive: true });
  const sim = await startSimulatorProcess('powerflex', ['--data-dir', dataDir, '--password', password, '--timeout-fault-ms', String(HELD_MS)]);
  const inventory = () => simCall<Inventory>(sim.url, '/_sim/inventory');
  const faults = faultInjector(sim.url, async () => (await inventory()).pendingFaults);
  const recordedVolumeIds = async (): Promise<string[]> => {
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ stream_id: string }>(`SELECT DISTINCT stream_id FROM storage.events WHERE stream_id LIKE 'volume-%'`);
      return rows.map((r) => r.stream_id.slice('volume-'.length));
    } finally {
      await db.end();
    }
  };
  return {
    label: 'powerflex',
    addData: {
      plugin: 'powerflex',
      zoneId: 'z1',
      config: { gatewayUrl: sim.url, username: 'admin', password, storagePool: STORAGE_POOL, timeoutMs: CLIENT_TIMEOUT_MS },
      // PowerFlex allocates 8 GiB at least: every 4 MiB volume takes 8 GiB of the 1 TiB pool.
      overProvisioningFactor: 100,
    },
    async objects(): Promise<BackendObject[]> {
      const held = await inventory();
      log(`powerflex: ${faults.merged()} backend fault(s) fell due while the previous one still waited for a call (not queued); ${held.pendingFaults} left pending`);
      const poolId = held.pools.find((p) => p.name === STORAGE_POOL)?.id;
      // Snapshots are volumes of type Snapshot on PowerFlex: left out.
      const volumes = held.volumes.filter((v) => v.storagePoolId === poolId && v.volumeType !== 'Snapshot');
      const ids = (await recordedVolumeIds()).map((id) => ({ id, hex: id.replace(/-/g, '') }));
      return volumes.map(({ id, name }) => {
        const prefix = /^vol-([0-9a-f]{16,})-/.exec(name ?? '')?.[1];
        const matches = prefix === undefined ? [] : ids.filter((v) => v.hex.startsWith(prefix));
        return { name: name ?? `(unnamed volume ${id})`, volumeId: matches.length === 1 ? matches[0]!.id : undefined };
      });
    },
    async scratch() {
      // The PowerFlex driver keeps no objects of its own.
      return [];
    },
    inject: (fault) => faults.inject(fault),
    close: () => sim.stop(),
  };
}
