import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startStorPoolSimulator } from './simulator';
import type { TemplateSpec } from './state';

/**
 * Runs the StorPool API simulator on its own, for demos and docker-compose:
 *   node dist/storpool/simulator/main.js --port 81 --data-dir /var/lib/storpool-sim \
 *     [--host 127.0.0.1] [--token <SP_AUTH_TOKEN>] \
 *     [--template nvme:1024:3 --template hdd:4096:2 (name:GiB[:replication])] [--clients 1,2]
 *     [--call-log <file>: every API call served, one JSON line each, for tests that check what a client asked]
 *     [--timeout-fault-ms <ms>: how long an injected timeout holds the answer (35000)]
 * Prints the API URL, then the templates and clients; the token is not printed.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '81' },
      // Loopback unless asked: a container passes --host 0.0.0.0.
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string' },
      token: { type: 'string' },
      template: { type: 'string', multiple: true },
      clients: { type: 'string' },
      'call-log': { type: 'string' },
      'timeout-fault-ms': { type: 'string' },
    },
  });
  const dataDir = values['data-dir'];
  if (dataDir === undefined) throw new Error('--data-dir <dir> is required');
  if (!/^\d+$/.test(values.port)) throw new Error('--port must be a number');
  const held = values['timeout-fault-ms'];
  if (held !== undefined && !/^\d+$/.test(held)) throw new Error('--timeout-fault-ms must be a number of milliseconds');
  const templates = values.template?.map((spec): TemplateSpec => {
    const match = /^([A-Za-z0-9_-]+):(\d+)(?::([123]))?$/.exec(spec);
    if (match === null) throw new Error(`--template ${spec}: expected name:GiB[:replication 1-3]`);
    return { name: match[1] as string, capacityBytes: Number(match[2]) * 2 ** 30, ...(match[3] === undefined ? {} : { replication: Number(match[3]) }) };
  });
  const clients = values.clients?.split(',').map((id) => {
    if (!/^\d+$/.test(id.trim())) throw new Error(`--clients ${values.clients}: expected comma-separated client ids`);
    return Number(id.trim());
  });
  const sim = await startStorPoolSimulator({
    port: Number(values.port),
    host: values.host,
    dataDir,
    ...(values.token === undefined ? {} : { authToken: values.token }),
    ...(templates === undefined ? {} : { templates }),
    ...(clients === undefined ? {} : { clients }),
    ...(held === undefined ? {} : { timeoutFaultMs: Number(held) }),
    ...(values['call-log'] === undefined ? {} : { onCall: (call) => appendFileSync(values['call-log'] as string, `${JSON.stringify(call)}\n`) }),
  });
  // The URL on stdout is what scripts read; the rest helps a person set up a pool.
  process.stdout.write(`${sim.url}\n`);
  process.stderr.write(
    `StorPool simulator: templates ${sim.templates.join(', ')}; clients ${sim.clients.join(', ')}; ` +
      `devicePath ${sim.devicePathTemplate}; token ${values.token === undefined ? 'the built-in default (DEFAULT_SIM_TOKEN)' : 'from --token'}\n`,
  );
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`storpool simulator: ${(error as Error).message}\n`);
  process.exit(1);
});
