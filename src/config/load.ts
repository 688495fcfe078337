import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isMap, isNode, isScalar } from 'yaml';
import { describeIssue, keyAt, yamlProblem } from './issues.js';
import { resolve } from './resolve.js';
import { configSchema } from './schema.js';
import { ConfigError, type Config } from './spec.js';

export * from './spec.js';
export { parseDuration } from './resolve.js';

// Reads and validates a config file; every problem names the file, line, key path and value.
export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read config ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      'pass an existing file with -f/--file (default: umlenv.yml in the current directory)',
      { cause: error },
    );
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, file = 'umlenv.yml'): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const p = lines.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new ConfigError(
      `${at(e.pos[0])}: malformed YAML: ${yamlProblem(e.code, e.message, keyAt(text, e.pos[0]))}`,
      'fix the YAML at that line',
    );
  }
  // Where a key path sits in the file: the key itself when `key` is given, else its value.
  const locate = (p: PropertyKey[], key?: string): string => {
    const parent = p.length ? doc.getIn(p as (string | number)[], true) : doc.contents;
    if (key !== undefined && isMap(parent)) {
      const pair = parent.items.find((i) => isScalar(i.key) && String(i.key.value) === key);
      if (isNode(pair?.key) && pair.key.range) return at(pair.key.range[0]);
    }
    if (isNode(parent) && parent.range) return at(parent.range[0]);
    return p.length ? locate(p.slice(0, -1), String(p[p.length - 1])) : file;
  };
  const data = doc.toJS() ?? {};
  const result = configSchema.safeParse(data, { reportInput: true });
  if (!result.success) {
    const problems = result.error.issues.flatMap((issue) => describeIssue(issue, locate));
    const shown = problems.slice(0, 10);
    const count =
      problems.length > shown.length
        ? `${problems.length} problems (the first ${shown.length} shown)`
        : `${problems.length} problems`;
    throw new ConfigError(
      problems.length === 1 ? problems[0] : `${file} has ${count}:\n  ${shown.join('\n  ')}`,
      'see "Configuration" in the README, or point your editor at schema/umlenv.schema.json',
    );
  }
  return resolve(result.data, file, locate);
}

// The key that starts at offset, as written (the parser's error range covers one character).
