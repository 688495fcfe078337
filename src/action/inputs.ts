import { parseDuration } from '../cli/durations.js';
import { ENV_ID } from '../environment/identity.js';
import { UmlenvError } from '../errors.js';
import { LEVELS, type Level } from '../log/logger.js';

/** The action's inputs and their defaults, as in action.yml (a unit test keeps the two equal). */
export const INPUT_DEFAULTS = {
  config: 'umlenv.yml',
  'env-id': '',
  machines: '',
  cache: 'true',
  'keep-on-failure': 'false',
  ttl: '6h',
  'boot-timeout': '',
  'log-level': 'info',
} as const;

/** An input's name as in action.yml (and, upper-cased, in INPUT_<NAME>). */
export type InputName = keyof typeof INPUT_DEFAULTS;

/** The inputs, checked and typed; nothing is created before they all parse. */
export interface ActionInputs {
  config: string;
  envId?: string;
  /** Start only these and what they depend on; empty for every machine. */
  machines: string[];
  cache: boolean;
  keepOnFailure: boolean;
  ttlMs: number;
  bootTimeoutMs?: number;
  logLevel: Level;
}

// Reads every input through get (core.getInput in the action); an empty value means the default.
export function parseInputs(get: (name: InputName) => string): ActionInputs {
  const value = (name: InputName) => get(name).trim() || INPUT_DEFAULTS[name];
  const envId = value('env-id');
  if (envId && !ENV_ID.test(envId)) {
    throw new UmlenvError(
      `input env-id: ${JSON.stringify(envId)} is not a valid environment id`,
      'use 1-40 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit, or leave it empty for the job identity',
    );
  }
  const logLevel = value('log-level');
  if (!(LEVELS as string[]).includes(logLevel)) {
    throw new UmlenvError(
      `input log-level: ${JSON.stringify(logLevel)} is not a log level`,
      `use one of ${LEVELS.join(', ')}`,
    );
  }
  const bootTimeout = value('boot-timeout');
  return {
    config: value('config'),
    envId: envId || undefined,
    // Names apart by commas, spaces or lines, as a YAML block or a one-line list.
    machines: value('machines')
      .split(/[\s,]+/)
      .filter(Boolean),
    cache: boolean('cache', value('cache')),
    keepOnFailure: boolean('keep-on-failure', value('keep-on-failure')),
    ttlMs: duration('ttl', value('ttl')),
    bootTimeoutMs: bootTimeout ? duration('boot-timeout', bootTimeout) : undefined,
    logLevel: logLevel as Level,
  };
}

// The YAML 1.2 core booleans, as core.getBooleanInput accepts them.
function boolean(name: InputName, text: string): boolean {
  if (['true', 'True', 'TRUE'].includes(text)) return true;
  if (['false', 'False', 'FALSE'].includes(text)) return false;
  throw new UmlenvError(
    `input ${name}: ${JSON.stringify(text)} is not a boolean`,
    'use true or false',
  );
}

function duration(name: InputName, text: string): number {
  try {
    return parseDuration(text);
  } catch {
    throw new UmlenvError(
      `input ${name}: ${JSON.stringify(text)} is not a duration`,
      'write a whole number with a unit, such as 90s, 30m, 6h or 14d',
    );
  }
}
