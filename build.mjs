// Bundles umlenv into dist/, as the Action runner and the CLI run it: each Action step as
// one file; the CLI as an entry plus chunks that each command imports when it runs.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  legalComments: 'none',
  banner: {
    js: "import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);",
  },
  logLevel: 'warning',
};

rmSync('dist/chunks', { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});
await build({
  ...common,
  entryPoints: {
    'action-main': 'src/action/main-entry.ts',
    'action-post': 'src/action/post-entry.ts',
  },
  outdir: 'dist',
});

// The JSON Schema for editors comes from the same definitions the CLI validates with.
const { execFileSync } = await import('node:child_process');
const { mkdirSync, writeFileSync } = await import('node:fs');
mkdirSync('schema', { recursive: true });
writeFileSync(
  'schema/umlenv.schema.json',
  execFileSync(process.execPath, ['dist/cli.js', 'schema']),
);
