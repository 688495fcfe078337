// Bundles each entry into one file under dist/, as the Action runner and the CLI run it.
import { build } from 'esbuild';

await build({
  entryPoints: {
    cli: 'src/cli.ts',
    'action-main': 'src/action/main-entry.ts',
    'action-post': 'src/action/post-entry.ts',
  },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  legalComments: 'none',
  banner: { js: "import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);" },
  logLevel: 'warning',
});

// The JSON Schema for editors comes from the same definitions the CLI validates with.
const { execFileSync } = await import('node:child_process');
const { mkdirSync, writeFileSync } = await import('node:fs');
mkdirSync('schema', { recursive: true });
writeFileSync('schema/umlenv.schema.json', execFileSync(process.execPath, ['dist/cli.js', 'schema']));
