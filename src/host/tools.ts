import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { UmlenvError } from '../errors.js';

/** The host programs umlenv runs, and the Debian package that provides each. */
export const PACKAGE_OF: Record<string, string> = {
  'linux.uml': 'user-mode-linux',
  uml_switch: 'uml-utilities',
  uml_mconsole: 'uml-utilities',
  bwrap: 'bubblewrap',
  taskset: 'util-linux',
  mmdebstrap: 'mmdebstrap',
  debootstrap: 'debootstrap',
  'mkfs.ext4': 'e2fsprogs',
  e2fsck: 'e2fsprogs',
};

const SEARCH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

// Finds a program on PATH (and the sbin folders a non-login root shell may lack).
export async function which(name: string): Promise<string | undefined> {
  if (name.includes('/')) return (await executable(name)) ? path.resolve(name) : undefined;
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (await executable(candidate)) return candidate;
  }
  return undefined;
}

async function executable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** The path of a required program, or an error that says which package to install. */
export async function requireTool(name: string, why: string): Promise<string> {
  const found = await which(name);
  if (found) return found;
  const pkg = PACKAGE_OF[path.basename(name)];
  throw new UmlenvError(
    `${name} was not found; umlenv needs it ${why}`,
    pkg ? `install it with: apt-get install ${pkg}` : `install ${name} or put it on PATH`,
  );
}
