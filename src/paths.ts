import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const isRoot = () => process.getuid?.() === 0;

/** Where environments keep their state: one private directory per environment. */
export function stateDir(): string {
  if (process.env.UMLENV_STATE_DIR) return path.resolve(process.env.UMLENV_STATE_DIR);
  if (isRoot()) return '/var/lib/umlenv';
  const base = process.env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'umlenv');
}

/** The image cache shared by every job on this box. */
export function cacheDir(): string {
  if (process.env.UMLENV_CACHE_DIR) return path.resolve(process.env.UMLENV_CACHE_DIR);
  if (isRoot()) return '/var/cache/umlenv';
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'umlenv');
}

export function envsDir(): string {
  return path.join(stateDir(), 'envs');
}

let root: string | undefined;

// The umlenv package folder, found from this module both in src/ and in the dist/ bundle.
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'umlenv') {
      return (root = dir);
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the umlenv package folder (package.json)');
    dir = parent;
  }
}

export function guestFile(name: string): string {
  return path.join(packageRoot(), 'guest', name);
}

// The command that runs this CLI again, for the detached supervisor.
export function cliEntry(): string {
  return path.join(packageRoot(), 'dist', 'cli.js');
}

export const VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version;
  } catch {
    return '0.0.0';
  }
})();
