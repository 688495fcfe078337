import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ImageSpec } from '../config/spec.js';
import { guestFile } from '../paths.js';

/** Bump when the way images are made changes, so old cache entries are not reused. */
export const IMAGE_FORMAT = 1;

/** Packages every image needs: the guest init configures the network with ip(8). */
export const BASE_PACKAGES = ['iproute2'];

/** Everything that changes an image's bytes; its hash is the image's cache key. */
export interface Recipe {
  format: number;
  suite: string;
  mirror: string;
  packages: string[];
  setup: string;
  sizeBytes: number;
  guestInit: string;
}

export interface ResolvedImage {
  name: string;
  key: string;
  recipe: Recipe;
}

export async function resolveRecipe(spec: ImageSpec, mirror: string): Promise<ResolvedImage> {
  const init = await readFile(guestFile('umlenv-init'));
  const recipe: Recipe = {
    format: IMAGE_FORMAT,
    suite: spec.suite,
    mirror: spec.mirror ?? mirror,
    packages: [...new Set([...BASE_PACKAGES, ...spec.packages])].sort(),
    setup: spec.setup ?? '',
    sizeBytes: spec.sizeBytes,
    guestInit: createHash('sha256').update(init).digest('hex'),
  };
  return { name: spec.name, key: recipeKey(recipe), recipe };
}

// The content key: the suite for humans, then a hash of the whole recipe.
export function recipeKey(recipe: Recipe): string {
  const digest = createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 16);
  return `${recipe.suite}-${digest}`;
}
