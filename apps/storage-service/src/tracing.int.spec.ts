import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStorPoolSimulator, type StorPoolSimulator, type StorPoolSimulatorOptions } from '@strata/backends';
import { traceIdOf } from '@strata/messaging';
import { commandEnvelope, eventually } from '@strata/testing';
import { startStorageHarness, type StorageHarness } from './testing/storage-harness.spec';

type StorPoolSimulatorCall = Parameters<NonNullable<StorPoolSimulatorOptions['onCall']>>[0];

/**
 * The trace a command arrives in reaches the backend: a CreateVolume whose Kafka message
 * carries traceparent with trace id T makes the StorPool simulator see requests whose own
 * traceparent has trace id T (a child span of the command's).
 */
describe('trace context from a storage command to the vendor backend', () => {
  let h: StorageHarness;
  let dir: string;
  let storpool: StorPoolSimulator;
  const calls: StorPoolSimulatorCall[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'strata-tracing-'));
    storpool = await startStorPoolSimulator({ port: 0, dataDir: path.join(dir, 'storpool'), authToken: 'sp-trace-token', onCall: (c) => void calls.push(c) });
    h = await startStorageHarness('tracing');
  });

  afterAll(async () => {
    await h?.close();
    await storpool?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends the command’s trace id to StorPool in a traceparent header', async () => {
    const poolId = randomUUID();
    const added = await h.outcome(
      await h.send('AddStoragePool', poolId, {
        name: 'sp-trace',
        plugin: 'storpool',
        zoneId: 'z1',
        config: { host: '127.0.0.1', port: storpool.port, authToken: 'sp-trace-token', template: 'nvme', devicePath: storpool.devicePathTemplate },
      }),
    );
    expect(added).toMatchObject({ type: 'StoragePoolAdded' });
    const before = calls.length;

    const traceId = randomBytes(16).toString('hex');
    const parentSpan = randomBytes(8).toString('hex');
    const volumeId = randomUUID();
    const command = commandEnvelope('CreateVolume', volumeId, { name: 'traced', poolId, sizeBytes: 32 * 2 ** 20 });
    await h.bus.publish([
      { topic: h.topics.storageCommands, key: volumeId, value: JSON.stringify(command), headers: { traceparent: `00-${traceId}-${parentSpan}-01` } },
    ]);
    expect(await h.outcome(command.messageId)).toMatchObject({ type: 'VolumeCreated' });

    const create = await eventually('VolumeCreate on the simulator', async () => calls.slice(before).find((c) => c.path === 'VolumeCreate'));
    expect(traceIdOf(create.headers.traceparent)).toBe(traceId);
    // A span of its own (the HTTP client's), not the sender's.
    expect(create.headers.traceparent).not.toContain(parentSpan);
    // The pool's calls before it belonged to another trace (AddStoragePool came without one).
    const earlier = calls.slice(0, before).map((c) => traceIdOf(c.headers.traceparent));
    expect(earlier.length).toBeGreaterThan(0);
    expect(earlier).not.toContain(traceId);
    // The recorded headers never hold the credential.
    expect(calls.every((c) => !('authorization' in c.headers))).toBe(true);
  });
});
