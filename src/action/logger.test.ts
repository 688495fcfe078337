import { describe, expect, it } from 'vitest';
import { actionLogger, type CoreLog } from './logger.js';

function recorder(): CoreLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (m) => void lines.push(`debug ${m}`),
    info: (m) => void lines.push(`info ${m}`),
    warning: (m) => void lines.push(`warning ${m}`),
    error: (m) => void lines.push(`error ${m}`),
    async group(name, fn) {
      lines.push(`group ${name}`);
      try {
        return await fn();
      } finally {
        lines.push('endgroup');
      }
    },
  };
}

describe('actionLogger', () => {
  it('maps levels to core calls, tags to a prefix, and drops lines below the level', () => {
    const out = recorder();
    const log = actionLogger('warn', out).child('env');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.child('web').error('e');
    expect(out.lines).toEqual(['debug [env] d', 'warning [env] w', 'error [env web] e']);
  });

  it('shows debug lines as plain lines at log-level debug', () => {
    const out = recorder();
    actionLogger('debug', out).debug('d');
    expect(out.lines).toEqual(['info d']);
  });

  it('folds a group, and a group inside it into a plain line', async () => {
    const out = recorder();
    const log = actionLogger('info', out);
    const result = await log.group('outer', () =>
      log.child('image').group('inner', async () => {
        log.info('x');
        return 7;
      }),
    );
    expect(result).toBe(7);
    expect(out.lines).toEqual(['group outer', 'info ▸ inner', 'info x', 'endgroup']);
  });
});
