import type { ConsumerLag } from '@strata/messaging';
import { MetricsRegistry } from './metrics';

function lagLines(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('strata_consumer_lag_messages{'));
}

function errorCount(text: string): number {
  const line = text.split('\n').find((l) => l.startsWith('strata_consumer_lag_errors_total'));
  if (!line) throw new Error(`no error counter in:\n${text}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('strata_consumer_lag_messages', () => {
  it('reports one series per group and topic from the bus', async () => {
    const metrics = new MetricsRegistry('svc', { defaultMetrics: false });
    metrics.trackConsumerLag({
      consumerLag: async (): Promise<ConsumerLag[]> => [
        { group: 'p.storage-service', topic: 'p.strata.storage.commands', lag: 3 },
        { group: 'p.storage-view', topic: 'p.strata.storage.events', lag: 0 },
      ],
    });
    const text = await metrics.metrics();
    expect(lagLines(text)).toEqual([
      'strata_consumer_lag_messages{group="p.storage-service",topic="p.strata.storage.commands",service="svc"} 3',
      'strata_consumer_lag_messages{group="p.storage-view",topic="p.strata.storage.events",service="svc"} 0',
    ]);
    expect(errorCount(text)).toBe(0);
  });

  it('leaves the series out (never NaN) and counts the error when Kafka does not answer, then recovers', async () => {
    const metrics = new MetricsRegistry('svc', { defaultMetrics: false });
    let fail = false;
    metrics.trackConsumerLag(
      {
        consumerLag: async () => {
          if (fail) throw new Error('broker down');
          return [{ group: 'g', topic: 't', lag: 7 }];
        },
      },
      { cacheMs: 0 },
    );
    expect(lagLines(await metrics.metrics())).toHaveLength(1);
    fail = true;
    const failed = await metrics.metrics();
    expect(lagLines(failed)).toEqual([]);
    expect(failed).not.toContain('NaN');
    expect(errorCount(failed)).toBe(1);
    fail = false;
    const again = await metrics.metrics();
    expect(lagLines(again)).toEqual(['strata_consumer_lag_messages{group="g",topic="t",service="svc"} 7']);
    expect(errorCount(again)).toBe(1);
  });

  it('asks Kafka once per cache period however often it is scraped', async () => {
    const metrics = new MetricsRegistry('svc', { defaultMetrics: false });
    const consumerLag = jest.fn(async () => [{ group: 'g', topic: 't', lag: 1 }]);
    metrics.trackConsumerLag({ consumerLag }, { cacheMs: 60_000 });
    await metrics.metrics();
    await metrics.metrics();
    await metrics.metrics();
    expect(consumerLag).toHaveBeenCalledTimes(1);
  });
});
