import { parseArgs } from 'node:util';
import { startPowerFlexSimulator, type SimulatorPoolSpec, type SimulatorSdcSpec } from './simulator';

/**
 * Runs the PowerFlex gateway simulator on its own, for demos and docker-compose:
 *   node dist/powerflex/simulator/main.js --port 8443 --data-dir /var/lib/pflex-sim \
 *     [--username admin --password ...] [--protection-domain pd1] \
 *     [--pool pool1:1024 --pool pool2:1024 (name:GiB[:protection domain])] \
 *     [--sdc host-1:10.0.0.11[:<16 hex id>] ...] [--token-idle-timeout-ms 600000] [--migration-polls 3] [--timeout-fault-ms 60000]
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8443' },
      // Loopback unless asked: a container passes --host 0.0.0.0.
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      'protection-domain': { type: 'string', multiple: true },
      pool: { type: 'string', multiple: true },
      sdc: { type: 'string', multiple: true },
      'token-idle-timeout-ms': { type: 'string' },
      'migration-polls': { type: 'string' },
      'timeout-fault-ms': { type: 'string' },
    },
  });
  const dataDir = values['data-dir'];
  if (dataDir === undefined) throw new Error('--data-dir <dir> is required');
  const pools = values.pool?.map((spec): SimulatorPoolSpec => {
    const [name, gib, protectionDomain] = spec.split(':');
    if (name === undefined || name === '' || gib === undefined || !/^\d+$/.test(gib)) throw new Error(`--pool ${spec}: expected name:GiB[:protection domain]`);
    return { name, capacityBytes: Number(gib) * 2 ** 30, ...(protectionDomain === undefined ? {} : { protectionDomain }) };
  });
  const sdcs = values.sdc?.map((spec): SimulatorSdcSpec => {
    const [name, ip, id] = spec.split(':');
    if (name === undefined || name === '' || ip === undefined || ip === '') throw new Error(`--sdc ${spec}: expected name:ip[:id]`);
    return { name, ip, ...(id === undefined ? {} : { id }) };
  });
  const sim = await startPowerFlexSimulator({
    port: Number(values.port),
    host: values.host,
    dataDir,
    ...(values.username === undefined ? {} : { username: values.username }),
    ...(values.password === undefined ? {} : { password: values.password }),
    ...(values['protection-domain'] === undefined ? {} : { protectionDomains: values['protection-domain'] }),
    ...(pools === undefined ? {} : { pools }),
    ...(sdcs === undefined ? {} : { sdcs }),
    ...(values['token-idle-timeout-ms'] === undefined ? {} : { tokenIdleTimeoutMs: Number(values['token-idle-timeout-ms']) }),
    ...(values['migration-polls'] === undefined ? {} : { migrationPolls: Number(values['migration-polls']) }),
    ...(values['timeout-fault-ms'] === undefined ? {} : { timeoutFaultMs: Number(values['timeout-fault-ms']) }),
  });
  // The URL on stdout is what scripts read; the rest helps a person set up a pool.
  console.log(sim.url);
  console.error(`powerflex simulator: system ${sim.systemId}, user ${sim.username}`);
  for (const pool of sim.pools) console.error(`  pool ${pool.name} (${pool.id})`);
  for (const sdc of sim.sdcs) console.error(`  sdc ${sdc.name} ${sdc.ip} (${sdc.id}): devices in ${sim.deviceDirTemplate.replace('{sdcId}', sdc.id)}`);
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`powerflex simulator: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
