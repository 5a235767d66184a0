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
