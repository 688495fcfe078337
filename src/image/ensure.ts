import type { Config } from '../config/spec.js';
import { seconds, type Logger } from '../log/logger.js';
import { buildImage, prepareBuild } from './build.js';
import { hostMirror } from './mirror.js';
import { resolveRecipe, type ResolvedImage } from './recipe.js';
import { ImageStore } from './store.js';

export interface ReadyImage extends ResolvedImage {
  file: string;
  built: boolean;
}

// Resolves the recipes of the images that machines use; the host mirror only when one lacks a mirror.
export async function resolveImages(config: Config, names?: string[]): Promise<ResolvedImage[]> {
  const wanted = names ?? [...new Set(config.machines.map((m) => m.image))];
  const specs = wanted.map((n) => config.images[n]);
  return Promise.all(
    specs.map(async (s) => resolveRecipe(s, s.mirror ?? (await hostMirror(s.suite)))),
  );
}

/** Makes sure every image is in the local store, building the missing ones under the store's lock. */
export async function ensureImages(
  images: ResolvedImage[],
  store: ImageStore,
  log: Logger,
): Promise<ReadyImage[]> {
  const ready: ReadyImage[] = [];
  for (const image of images) {
    const ilog = log.child(`image ${image.name}`);
    let built = false;
    if (await store.has(image.key)) {
      ilog.debug(`cached as ${image.key}`);
    } else {
      await prepareBuild(image, store);
      await store.withBuildLock(image.key, ilog, async () => {
        if (await store.has(image.key)) return;
        await store.sweepScratch();
        const t0 = Date.now();
        ilog.info(`Building image ${image.key}…`);
        await buildImage(image, store, ilog);
        built = true;
        ilog.debug(`build took ${seconds(Date.now() - t0)}`);
      });
    }
    await store.markUsed(image.key);
    ready.push({ ...image, file: store.file(image.key), built });
  }
  return ready;
}
