import type { core } from 'zod';
import { configSchema, imageSchema, machineSchema, networkSchema } from './schema.js';

export function keyAt(text: string, offset: number): string {
  const rest = text.slice(offset);
  const quoted = /^(["'])(.*?)\1/.exec(rest);
  return quoted ? quoted[2] : (/^[^:\n]*/.exec(rest)?.[0] ?? '').trim();
}

export function yamlProblem(code: string, message: string, source: string): string {
  if (code === 'DUPLICATE_KEY')
    return `the key "${source}" appears twice in one map (machine and image names must be unique)`;
  if (code === 'MULTIPLE_DOCS')
    return 'the file holds more than one YAML document (a "---" line); umlenv reads exactly one';
  return message.split('\n')[0];
}

function keyPath(p: PropertyKey[]): string {
  return p.length ? p.map(String).join('.') : '(top level)';
}

/** Where a key path sits in the config file, as file:line:col. */
export type Locate = (p: PropertyKey[], key?: string) => string;

// One line per problem the schema found, in words a user can act on.
export function describeIssue(issue: core.$ZodIssue, locate: Locate): string[] {
  const where = keyPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeys(issue.path);
    const prefix = issue.path.length ? `${where}.` : '';
    return issue.keys.map(
      (k) =>
        `${locate(issue.path, k)}: ${prefix}${k}: unknown key${allowed ? ` (allowed here: ${allowed.join(', ')})` : ''}`,
    );
  }
  if (issue.code === 'invalid_key') {
    const name = String(issue.path[issue.path.length - 1]);
    return [
      `${locate(issue.path.slice(0, -1), name)}: ${where}: the name ${JSON.stringify(name)} ${issue.issues[0]?.message ?? 'is not allowed'}`,
    ];
  }
  const place = locate(issue.path);
  if (issue.input === undefined) return [`${place}: ${where}: missing (${requiredWhy(where)})`];
  if (issue.code === 'invalid_value') {
    return [
      `${place}: ${where}: ${JSON.stringify(issue.input)} is not allowed (allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')})`,
    ];
  }
  if (issue.code === 'invalid_type') {
    return [
      `${place}: ${where}: ${JSON.stringify(issue.input)} should be ${article(issue.expected)}`,
    ];
  }
  return [`${place}: ${where}: ${JSON.stringify(issue.input)} ${issue.message}`];
}

function requiredWhy(where: string): string {
  if (where === 'images') return 'a config defines at least one image under images:';
  if (where === 'machines') return 'a config defines at least one machine under machines:';
  return 'this key is required';
}

function article(expected: string): string {
  const words: Record<string, string> = {
    record: 'a map of names to settings',
    object: 'a map of settings',
    array: 'a list',
    string: 'a string',
    number: 'a number',
  };
  return words[expected] ?? expected;
}

function allowedKeys(p: PropertyKey[]): string[] | undefined {
  if (p.length === 0) return Object.keys(configSchema.shape);
  if (p.length === 2 && p[0] === 'images') return Object.keys(imageSchema.shape);
  if (p.length === 2 && p[0] === 'machines') return Object.keys(machineSchema.shape);
  if (p.length === 1 && p[0] === 'network') return Object.keys(networkSchema.shape);
  return undefined;
}
