import { InvalidArgumentError } from 'commander';

/** Parses "90s", "30m", "6h" or "14d" into milliseconds, for commander options. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*([smhd])$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`"${text}" is not a duration such as 90s, 30m, 6h or 14d`);
  return Number(m[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
