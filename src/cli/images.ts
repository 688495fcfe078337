import { Command, Option } from 'commander';
import { mib } from '../config/size.js';
import { UmlenvError } from '../errors.js';
import { listEnvDirs, readState } from '../environment/state.js';
import { isAlive } from '../host/process.js';
import type { Logger } from '../log/logger.js';
import { parseDuration } from './durations.js';
import { table } from './table.js';

// `umlenv image build|ls|prune`: the local image cache.
export function addImageCommands(
  cli: Command,
  logger: () => Logger,
  configOption: () => Option,
): void {
  const image = cli.command('image').description('manage the local image cache');
  image
    .command('build')
    .description('build the images a config uses, unless cached')
    .addOption(configOption())
    .argument('[names...]', 'images to build (default: every image the machines use)')
    .action(async (names: string[], o) => {
      const [{ loadConfig }, { ensureImages, resolveImages }, { ImageStore }] = await Promise.all([
        import('../config/load.js'),
        import('../image/ensure.js'),
        import('../image/store.js'),
      ]);
      const config = await loadConfig(o.file);
      for (const n of names) {
        if (!config.images[n])
          throw new UmlenvError(
            `no image named ${n} in ${o.file}`,
            `use one of: ${Object.keys(config.images).join(', ')}`,
          );
      }
      const ready = await ensureImages(
        await resolveImages(config, names.length ? names : undefined),
        new ImageStore(),
        logger(),
      );
      for (const i of ready)
        process.stdout.write(`${i.name}\t${i.key}\t${i.built ? 'built' : 'cached'}\n`);
    });
  image
    .command('ls')
    .description('list cached images')
    .action(async () => {
      const { ImageStore } = await import('../image/store.js');
      const images = await new ImageStore().list();
      table(
        ['KEY', 'NAME', 'SUITE', 'DISK', 'LAST USED'],
        images.map((i) => [
          i.key,
          i.name,
          i.recipe.suite,
          mib(i.usedBytes),
          i.lastUsed.toISOString(),
        ]),
      );
    });
  image
    .command('prune')
    .description('remove cached images not used recently and not used by a live environment')
    .addOption(
      new Option('--older-than <duration>', 'remove images last used before this')
        .default(14 * 864e5, '14d')
        .argParser(parseDuration),
    )
    .option('--all', 'remove every image no live environment uses')
    .action(async (o) => {
      const { ImageStore } = await import('../image/store.js');
      const store = new ImageStore();
      const inUse = new Set<string>();
      for (const dir of await listEnvDirs()) {
        const s = await readState(dir);
        if (s && (await isAlive(s.owner))) s.images.forEach((k) => inUse.add(k));
      }
      for (const i of await store.list()) {
        if (inUse.has(i.key) || (!o.all && Date.now() - i.lastUsed.getTime() < o.olderThan))
          continue;
        await store.remove(i.key);
        process.stdout.write(`removed ${i.key} (${i.name})\n`);
      }
    });
}
