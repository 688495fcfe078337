import { describe, expect, it } from 'vitest';
import { formatSize, mib, parseSize } from './size.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

describe('parseSize', () => {
  it.each([
    ['512K', 512 * 2 ** 10],
    ['256M', 256 * MiB],
    ['1G', GiB],
    ['2T', 2 * 2 ** 40],
    ['512MiB', 512 * MiB],
    ['4GB', 4 * GiB],
    ['1g', GiB],
    ['8mib', 8 * MiB],
    [' 2 G ', 2 * GiB],
  ])('reads %j as %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', '100', 'G', '1.5G', '-1G', '1P', '1 GiBs', 'lots', '1G1'])('rejects %j', (text) => {
    expect(parseSize(text)).toBeUndefined();
  });
});

describe('formatSize', () => {
  it.each([
    [GiB, '1G'],
    [1536 * MiB, '1536M'],
    [2 * 2 ** 40, '2T'],
    [3 * 2 ** 10, '3K'],
    [1500, '1500'],
    [0, '0'],
  ])('formats %d bytes as %j', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  it('round-trips through parseSize', () => {
    for (const text of ['256M', '1G', '48K', '3T']) {
      expect(formatSize(parseSize(text)!)).toBe(text);
    }
  });
});

describe('mib', () => {
  it('shows MiB with one decimal', () => {
    expect(mib(1.5 * MiB)).toBe('1.5 MiB');
    expect(mib(GiB)).toBe('1024.0 MiB');
    expect(mib(0)).toBe('0.0 MiB');
  });
});
