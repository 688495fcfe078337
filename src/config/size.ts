const UNITS: Record<string, number> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** Parses sizes such as "256M", "1G" or "512MiB" into bytes; undefined if malformed. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+)\s*([KMGT])(?:i?B)?$/i.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNITS[m[2].toUpperCase()];
}

export function formatSize(bytes: number): string {
  for (const unit of ['T', 'G', 'M', 'K']) {
    if (bytes >= UNITS[unit] && bytes % UNITS[unit] === 0) return `${bytes / UNITS[unit]}${unit}`;
  }
  return `${bytes}`;
}

// Human-readable MiB with one decimal, for tables and logs.
export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
