import { LEVELS, sinkLogger, type Level, type Logger } from './logger.js';

const COLORS: Record<Level, string> = {
  debug: '\x1b[2m',
  info: '',
  warn: '\x1b[33m',
  error: '\x1b[31m',
};

// The CLI's logger: plain lines on stderr, colour only on a terminal without NO_COLOR.
export function stderrLogger(level: Level = 'info', stream = process.stderr): Logger {
  const min = LEVELS.indexOf(level);
  const color = stream.isTTY === true && !process.env.NO_COLOR;
  return sinkLogger((lvl, tags, message) => {
    if (LEVELS.indexOf(lvl) < min) return;
    const prefix = tags.length ? `[${tags.join(' ')}] ` : '';
    const label = lvl === 'warn' || lvl === 'error' ? `${lvl}: ` : '';
    const line = `${prefix}${label}${message}`;
    stream.write(color && COLORS[lvl] ? `${COLORS[lvl]}${line}\x1b[0m\n` : `${line}\n`);
  });
}
