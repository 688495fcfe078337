/** The one logging interface of the core; each face supplies an adapter. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Runs fn with its output folded into a named group where the face supports it. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** A logger whose lines carry an extra tag, such as the machine name. */
  child(tag: string): Logger;
}

export type Level = 'debug' | 'info' | 'warn' | 'error';
export const LEVELS: Level[] = ['debug', 'info', 'warn', 'error'];

export type Sink = (level: Level, tags: string[], message: string) => void;

// Builds a Logger over a sink, so adapters only decide how a line is written.
export function sinkLogger(
  sink: Sink,
  tags: string[] = [],
  group: <T>(name: string, fn: () => Promise<T>) => Promise<T> = (_name, fn) => fn(),
): Logger {
  return {
    debug: (m) => sink('debug', tags, m),
    info: (m) => sink('info', tags, m),
    warn: (m) => sink('warn', tags, m),
    error: (m) => sink('error', tags, m),
    group,
    child: (tag) => sinkLogger(sink, [...tags, tag], group),
  };
}

export const silentLogger: Logger = sinkLogger(() => {});

// Seconds with one decimal, the unit every "Started … in" line uses.
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 1000 ? 2 : 1)} s`;
}

/** Seconds spent in each named phase, for summaries; phase() times one. */
export function phaseTimer(): {
  phases: Record<string, number>;
  phase<T>(name: string, fn: () => Promise<T>): Promise<T>;
} {
  const phases: Record<string, number> = {};
  return {
    phases,
    async phase(name, fn) {
      const t0 = Date.now();
      try {
        return await fn();
      } finally {
        phases[name] = (Date.now() - t0) / 1000;
      }
    },
  };
}
