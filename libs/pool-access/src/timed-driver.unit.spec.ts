import { MetricsRegistry } from '@strata/service-kit';
import { BackendError } from '@strata/plugin-sdk';
import { timedDriver } from './timed-driver';

class FakeDriver {
  readonly manifest = { name: 'fake', driverVersion: '1.0.0' };
  #secret = 'private-field';
  calls = 0;
  get secretLength(): number {
    return this.#secret.length;
  }
  async getCapacity(): Promise<{ totalBytes: number; who: string }> {
    this.calls += 1;
    return { totalBytes: 10, who: this.#secret };
  }
  async createVolume(name: string): Promise<string> {
    // A call the driver makes to itself is not a second backend call.
    await this.getCapacity();
    if (name === 'full') throw new BackendError('capacity', 'pool.full', 'no room');
    if (name === 'weird') throw new TypeError('bug');
    return name;
  }
  describe(): string {
    return `driver ${this.#secret}`;
  }
}

async function series(metrics: MetricsRegistry, name: string) {
  return (await metrics.registry.getSingleMetric(name)!.get()).values;
}

describe('timedDriver', () => {
  it('times every call by plugin and outcome, counts errors by kind, and keeps the driver working', async () => {
    const metrics = new MetricsRegistry('svc', { defaultMetrics: false });
    const real = new FakeDriver();
    const driver = timedDriver(real, 'linstor', metrics);

    expect(driver.manifest).toBe(real.manifest);
    expect(driver.secretLength).toBe('private-field'.length);
    expect(driver).toBeInstanceOf(FakeDriver);
    expect(await driver.getCapacity()).toEqual({ totalBytes: 10, who: 'private-field' });
    expect(await driver.createVolume('v1')).toBe('v1');
    await expect(driver.createVolume('full')).rejects.toMatchObject({ kind: 'capacity' });
    await expect(driver.createVolume('weird')).rejects.toThrow(TypeError);
    const detached = driver.describe;
    expect(detached()).toBe('driver private-field');
    expect(driver.getCapacity).toBe(driver.getCapacity);
    driver.calls = 0;
    expect(real.calls).toBe(0);

    const counts = (await series(metrics, 'strata_backend_call_duration_seconds'))
      .filter((v) => (v as { metricName?: string }).metricName === 'strata_backend_call_duration_seconds_count')
      .map((v) => [v.labels.plugin, v.labels.outcome, v.value]);
    expect(counts).toEqual(
      expect.arrayContaining([
        ['linstor', 'ok', 3], // getCapacity, createVolume(v1), describe: the inner getCapacity calls are not counted
        ['linstor', 'error', 2],
      ]),
    );
    const errors = (await series(metrics, 'strata_backend_errors_total')).map((v) => [v.labels.kind, v.value]);
    expect(errors).toEqual(expect.arrayContaining([['capacity', 1], ['unexpected', 1]]));
  });

  it('records a synchronous throw as well', () => {
    const metrics = new MetricsRegistry('svc', { defaultMetrics: false });
    const driver = timedDriver(
      {
        parse(): never {
          throw new BackendError('invalid', 'bad', 'bad');
        },
      },
      'storpool',
      metrics,
    );
    expect(() => driver.parse()).toThrow('bad');
    return series(metrics, 'strata_backend_errors_total').then((values) =>
      expect(values.map((v) => [v.labels.plugin, v.labels.kind, v.value])).toEqual([['storpool', 'invalid', 1]]),
    );
  });
});
