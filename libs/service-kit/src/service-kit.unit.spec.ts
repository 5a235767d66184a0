import { isPermanentDataError } from './command-intake';
import { checkedSetting, ConfigError, intervalFromEnv, kafkaSessionTimeoutFromEnv, loadServiceConfig } from './config';
import { Periodic } from './periodic';
import { SecretBox } from './secret-box';

describe('SecretBox', () => {
  const box = SecretBox.fromBase64(SecretBox.generateKey());

  it('opens what it sealed, and the sealed text does not contain the secret', () => {
    const sealed = box.seal({ password: 'hunter2-very-secret' });
    expect(sealed).not.toContain('hunter2');
    expect(box.open(sealed)).toEqual({ password: 'hunter2-very-secret' });
  });

  it('refuses a tampered secret and a wrong key', () => {
    const sealed = box.seal({ token: 't' });
    const parts = sealed.split('.');
    parts[3] = Buffer.from('forged').toString('base64');
    expect(() => box.open(parts.join('.'))).toThrow();
    expect(() => SecretBox.fromBase64(SecretBox.generateKey()).open(sealed)).toThrow();
  });

  it('refuses a key of the wrong length, saying what it needs', () => {
    expect(() => SecretBox.fromBase64('c2hvcnQ=')).toThrow(/32 bytes/);
  });
});

describe('intervalFromEnv', () => {
  it('reads a whole number of milliseconds, or the default when unset', () => {
    expect(intervalFromEnv('X_MS', 500, 1, { X_MS: '2000' })).toBe(2000);
    expect(intervalFromEnv('X_MS', 500, 1, {})).toBe(500);
  });
  it('stops with the variable named when the value is not one', () => {
    expect(() => intervalFromEnv('X_MS', 500, 1, { X_MS: 'ten' })).toThrow(/X_MS: "ten"/);
    expect(() => intervalFromEnv('X_MS', 500, 1, { X_MS: '0' })).toThrow(/X_MS/);
  });
});

describe('STRATA_KAFKA_SESSION_TIMEOUT_MS', () => {
  const v = (raw?: string) => kafkaSessionTimeoutFromEnv(raw === undefined ? {} : { STRATA_KAFKA_SESSION_TIMEOUT_MS: raw });
  it('is 30 s unless set, and takes what the broker accepts', () => {
    expect(v()).toBe(30000);
    expect(v(' ')).toBe(30000);
    expect(v('10000')).toBe(10000);
    expect(v('6000')).toBe(6000);
    expect(v('1800000')).toBe(1800000);
  });
  it('refuses, by name, what the broker would refuse at the join', () => {
    for (const bad of ['5999', '1800001', '10s', '7000.5']) expect(() => v(bad)).toThrow(/STRATA_KAFKA_SESSION_TIMEOUT_MS: ".*" is not a whole number of milliseconds between 6000 and 1800000/);
  });
});

describe('configuration at start', () => {
  const good = { DATABASE_URL: 'postgres://u:p@db/strata', KAFKA_BROKERS: 'kafka:9092' };
  it('reports every bad or missing common value at once, each naming its variable', () => {
    let error: unknown;
    try {
      loadServiceConfig('storage-service', 8081, { STORAGE_SERVICE_PORT: '99999', KAFKA_BROKERS: 'kafka', STRATA_INSTALLATION_ID: 'X', STRATA_LOG_FORMAT: 'xml' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'STORAGE_SERVICE_PORT: "99999" is not a TCP port (0-65535)',
      'DATABASE_URL: required, a postgres:// URL',
      'KAFKA_BROKERS: "kafka" is not host:port',
      'STRATA_INSTALLATION_ID: exactly 4 lowercase letters or digits',
      'STRATA_LOG_FORMAT: "xml" is neither json nor text',
    ]);
    expect(loadServiceConfig('storage-service', 8081, good).kafkaBrokers).toEqual(['kafka:9092']);
  });
  it('a module-level setting keeps its fallback when bad and is reported by the start check', () => {
    const name = 'STRATA_TEST_SETTING_MS';
    const before = { ...process.env };
    process.env[name] = 'soon';
    try {
      expect(checkedSetting(name, (raw) => intervalFromEnv(name, 5, 1, { [name]: raw }), 5)).toBe(5);
      expect(() => loadServiceConfig('storage-service', 8081, Object.assign(process.env, good))).toThrow(/STRATA_TEST_SETTING_MS: "soon" is not a whole number/);
    } finally {
      for (const key of [name, ...Object.keys(good)]) if (!(key in before)) delete process.env[key];
    }
  });
});

describe('isPermanentDataError', () => {
  it('is true for PostgreSQL data exceptions (class 22), directly or inside a TypeORM error', () => {
    expect(isPermanentDataError({ code: '22P05' })).toBe(true);
    expect(isPermanentDataError({ driverError: { code: '22003' } })).toBe(true);
  });
  it('is false for what a redelivery may cure: connections, serialization, deadlocks, unknown errors', () => {
    for (const code of ['08006', '40001', '40P01', '23505', '57P01']) expect(isPermanentDataError({ code })).toBe(false);
    expect(isPermanentDataError(new Error('boom'))).toBe(false);
    expect(isPermanentDataError(null)).toBe(false);
  });
});

describe('Periodic', () => {
  it('runs one at a time: a run asked for during another joins it', async () => {
    let runs = 0;
    let release!: () => void;
    const periodic = new Periodic(60_000, async () => {
      runs += 1;
      await new Promise<void>((resolve) => (release = resolve));
    });
    const first = periodic.runNow();
    const second = periodic.runNow();
    expect(second).toBe(first);
    release();
    await first;
    expect(runs).toBe(1);
    const third = periodic.runNow();
    release();
    await third;
    expect(runs).toBe(2);
  });

  it('stops waiting for the run in progress', async () => {
    let done = false;
    const periodic = new Periodic(5, async () => {
      await new Promise((r) => setTimeout(r, 20));
      done = true;
    });
    periodic.start();
    await new Promise((r) => setTimeout(r, 10));
    await periodic.stop();
    expect(done).toBe(true);
  });
});
