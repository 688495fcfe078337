import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { INPUT_DEFAULTS, parseInputs, type InputName } from './inputs.js';

const given =
  (values: Partial<Record<InputName, string>>) =>
  (name: InputName): string =>
    values[name] ?? '';

describe('parseInputs', () => {
  it('keeps the defaults of action.yml, which the runner passes for inputs left out', () => {
    const action = parse(readFileSync('action.yml', 'utf8'));
    const defaults = Object.fromEntries(
      Object.entries(action.inputs as Record<string, { default: string }>).map(([k, v]) => [
        k,
        v.default,
      ]),
    );
    expect(defaults).toEqual(INPUT_DEFAULTS);
  });

  it('reads empty inputs as their defaults', () => {
    expect(parseInputs(given({}))).toEqual({
      config: 'umlenv.yml',
      envId: undefined,
      machines: [],
      cache: true,
      keepOnFailure: false,
      ttlMs: 6 * 36e5,
      bootTimeoutMs: undefined,
      logLevel: 'info',
    });
  });

  it('parses every input', () => {
    const inputs = parseInputs(
      given({
        config: 'ci/env.yml',
        'env-id': 'job-1',
        machines: 'frontend,\napi-run  db',
        cache: 'FALSE',
        'keep-on-failure': 'True',
        ttl: '90m',
        'boot-timeout': '45s',
        'log-level': 'debug',
      }),
    );
    expect(inputs).toEqual({
      config: 'ci/env.yml',
      envId: 'job-1',
      machines: ['frontend', 'api-run', 'db'],
      cache: false,
      keepOnFailure: true,
      ttlMs: 90 * 6e4,
      bootTimeoutMs: 45e3,
      logLevel: 'debug',
    });
  });

  it('names the input, the bad value and the fix', () => {
    const bad = (values: Partial<Record<InputName, string>>) => () => parseInputs(given(values));
    expect(bad({ 'env-id': 'Bad Id' })).toThrow(/^input env-id: "Bad Id" is not a valid/);
    expect(bad({ cache: 'yes' })).toThrow(/^input cache: "yes" is not a boolean/);
    expect(bad({ ttl: '6 hours' })).toThrow(/^input ttl: "6 hours" is not a duration/);
    expect(bad({ 'boot-timeout': '2' })).toThrow(/^input boot-timeout: "2" is not a duration/);
    expect(bad({ 'log-level': 'loud' })).toThrow(/^input log-level: "loud" is not a log level/);
    try {
      bad({ cache: 'yes' })();
    } catch (error) {
      expect((error as { hint?: string }).hint).toBe('use true or false');
    }
  });
});
