import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cliEntry } from '../paths.js';

// Single quotes for sh: nothing inside is expanded, a quote is closed, escaped and reopened.
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Writes an `umlenv` command into dir for later steps (dir goes on PATH). It runs this
 * package's CLI with the node running the action: self-hosted runners often have none on PATH.
 */
export async function writeWrapper(
  dir: string,
  node = process.execPath,
  cli = cliEntry(),
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'umlenv');
  await writeFile(file, `#!/bin/sh\nexec ${shellQuote(node)} ${shellQuote(cli)} "$@"\n`);
  await chmod(file, 0o755);
  return file;
}
