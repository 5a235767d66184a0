import { intervalFromEnv } from './config';
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
