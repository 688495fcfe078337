import * as core from '@actions/core';
import { LEVELS, sinkLogger, type Level, type Logger } from '../log/logger.js';

/** The parts of @actions/core the logger writes through. */
export interface CoreLog {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * The core's Logger over the runner's log: warnings and errors become annotations, groups
 * fold. Debug lines show at log-level debug, else only in the runner's step debug log.
 * The runner cannot nest groups, so a group inside a group is a plain line.
 */
export function actionLogger(level: Level, out: CoreLog = core): Logger {
  const min = LEVELS.indexOf(level);
  let depth = 0;
  const group = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    if (depth > 0) {
      out.info(`▸ ${name}`);
      return fn();
    }
    depth++;
    try {
      return await out.group(name, fn);
    } finally {
      depth--;
    }
  };
  return sinkLogger(
    (lvl, tags, message) => {
      const line = tags.length ? `[${tags.join(' ')}] ${message}` : message;
      if (lvl === 'debug') return level === 'debug' ? out.info(line) : out.debug(line);
      if (LEVELS.indexOf(lvl) < min) return;
      if (lvl === 'info') out.info(line);
      else if (lvl === 'warn') out.warning(line);
      else out.error(line);
    },
    [],
    group,
  );
}
