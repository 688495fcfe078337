import { readdir, rm, stat, statfs } from 'node:fs/promises';
import path from 'node:path';

/** The name of a build's scratch directory in dir: its key and the pid that owns it. */
export function scratchDir(dir: string, key: string): string {
  return path.join(dir, `.build-${key}-${process.pid}`);
}

/** Removes the scratch directories in dir of builds whose process is gone (killed builds). */
export async function sweepScratch(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const e of entries) {
    const pid = /^\.build-.+-(\d+)$/.exec(e)?.[1];
    if (pid && !(await exists(`/proc/${pid}`))) {
      await rm(path.join(dir, e), { recursive: true, force: true });
    }
  }
}

/** Bytes free to an unprivileged writer on the file system that holds dir (or would). */
export async function freeBytes(dir: string): Promise<number> {
  while (!(await exists(dir))) dir = path.dirname(dir);
  const fs = await statfs(dir);
  return fs.bavail * fs.bsize;
}

function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
