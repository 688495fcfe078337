import { execa } from 'execa';
import path from 'node:path';

// Builds umlenv's minimal kernel once (cached afterwards) before its test pass.
export default async function setup(): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const cli = path.resolve('dist/cli.js');
  const build = await execa(process.execPath, [cli, 'kernel', 'build'], {
    reject: false,
    all: true,
  });
  if (build.exitCode !== 0)
    throw new Error(`umlenv kernel build failed:\n${build.all?.slice(-4000)}`);
}
