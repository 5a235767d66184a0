import { formatBytes, formatUsage, parseSize } from './sizes';
import { UsageError } from './usage-error';

describe('parseSize', () => {
  it.each([
    ['1073741824', 2 ** 30],
    ['10GiB', 10 * 2 ** 30],
    ['512MiB', 512 * 2 ** 20],
    ['512 mib', 512 * 2 ** 20],
    ['1.5TiB', 1.5 * 2 ** 40],
    ['4KiB', 4096],
    ['100B', 100],
    ['10GB', 10_000_000_000],
    ['2tb', 2e12],
  ])('reads %s as %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'ten', '10XB', '-1GiB', '0', '0GiB', '1.5B', '10 Gi B', '1e3'])('refuses %j as a usage error', (text) => {
    expect(() => parseSize(text)).toThrow(UsageError);
  });

  it('refuses a size beyond exact integers', () => {
    expect(() => parseSize('9000000PiB')).toThrow(/whole number of bytes/);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [10 * 2 ** 30, '10 GiB'],
    [2 ** 30 + 2 ** 20, '1 GiB'],
    [1.25 * 2 ** 40, '1.3 TiB'],
  ])('shows %d as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('formatUsage', () => {
  it('shows used / total with the rounded percentage', () => {
    expect(formatUsage(2.5 * 2 ** 30, 10 * 2 ** 30)).toBe('2.5 GiB / 10 GiB (25%)');
    expect(formatUsage(1, 3)).toBe('1 B / 3 B (33%)');
  });

  it('shows no percentage of nothing', () => {
    expect(formatUsage(0, 0)).toBe('0 B / 0 B');
  });
});
