import { decodeJobCursor, encodeJobCursor, toJobPage } from './job-cursor';

describe('jobs cursor', () => {
  const key = { createdAt: new Date('2026-11-21T10:00:00.123Z'), id: '3f1c8a9e-1b2c-4d5e-8f90-123456789abc' };

  it('round-trips the key of the last job of a page', () => {
    expect(decodeJobCursor(encodeJobCursor(key))).toEqual(key);
  });

  it('refuses what it did not make', () => {
    expect(decodeJobCursor('not a cursor!')).toBeUndefined();
    expect(decodeJobCursor(Buffer.from('{"after":3}').toString('base64url'))).toBeUndefined();
    expect(decodeJobCursor(Buffer.from('{"at":"yesterday","id":"x"}').toString('base64url'))).toBeUndefined();
    expect(decodeJobCursor(Buffer.from('{"at":"2026-11-21T10:00:00.123Z","id":""}').toString('base64url'))).toBeUndefined();
  });

  it('gives a next cursor only when a row beyond the page was fetched', () => {
    const rows = [key, { ...key, id: 'b' }, { ...key, id: 'a' }];
    expect(toJobPage(rows, 3).nextCursor).toBeNull();
    const page = toJobPage(rows, 2);
    expect(page.items).toHaveLength(2);
    expect(decodeJobCursor(page.nextCursor!)).toEqual({ createdAt: key.createdAt, id: 'b' });
  });
});
