import { decodeCursor, encodeCursor, mapPage, toPage } from './cursor';

describe('keyset cursors', () => {
  it('round-trips a position and stays opaque', () => {
    const cursor = encodeCursor(12345);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain('12345');
    expect(decodeCursor(cursor)).toBe(12345);
  });

  it.each(['', 'not a cursor!', Buffer.from('{"after":-1}').toString('base64url'), Buffer.from('[1]').toString('base64url'), 'x'.repeat(300)])(
    'refuses %j',
    (cursor) => expect(decodeCursor(cursor)).toBeUndefined(),
  );

  it('pages limit rows and points after the last one when more exist', () => {
    const rows = [1, 2, 3].map((seq) => ({ seq }));
    const page = toPage(rows, 2);
    expect(page.items).toEqual([{ seq: 1 }, { seq: 2 }]);
    expect(decodeCursor(page.nextCursor!)).toBe(2);
    expect(toPage(rows.slice(0, 2), 2).nextCursor).toBeNull();
    expect(mapPage(page, (r) => r.seq * 10)).toEqual({ items: [10, 20], nextCursor: page.nextCursor });
  });
});
