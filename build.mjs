// Bundles each entry into one file under dist/, as the Action runner and the CLI run it.
import { build } from 'esbuild';

await build({
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  legalComments: 'none',
  banner: { js: "import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);" },
  logLevel: 'warning',
});
