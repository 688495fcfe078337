import { createHash } from 'node:crypto';
import path from 'node:path';
import { UmlenvError } from '../errors.js';

export const ENV_ID = /^[a-z0-9][a-z0-9_.-]{0,39}$/;
const MAX = 40;

function hash(text: string, n = 6): string {
  return createHash('sha256').update(text).digest('hex').slice(0, n);
}

// Lower-cases and trims free text into an id; long ids keep a hash of what was cut.
function sanitize(text: string): string {
  const clean = text
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+|-+$/g, '');
  if (clean.length <= MAX) return clean || 'env';
  return `${clean.slice(0, MAX - 7).replace(/-+$/, '')}-${hash(text)}`;
}

/**
 * The environment id: --env or UMLENV_ENV if given, else the CI job's identity
 * (GitHub Actions run, attempt and job; Jenkins BUILD_TAG and executor), else
 * the current directory, so every command of one job finds the same environment.
 */
export function environmentId(
  given: string | undefined,
  env = process.env,
  cwd = process.cwd(),
): string {
  const explicit = given ?? env.UMLENV_ENV;
  if (explicit !== undefined) {
    if (!ENV_ID.test(explicit)) {
      throw new UmlenvError(
        `environment id ${JSON.stringify(explicit)} is not valid`,
        'use 1-40 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit',
      );
    }
    return explicit;
  }
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_RUN_ID) {
    return sanitize(
      `gh-${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}-${env.GITHUB_JOB ?? 'job'}`,
    );
  }
  if (env.BUILD_TAG) return sanitize(`jk-${env.BUILD_TAG}-${env.EXECUTOR_NUMBER ?? '0'}`);
  return sanitize(`dir-${path.basename(cwd)}-${hash(cwd)}`);
}
