import { describe, expect, it } from 'vitest';
import { UmlenvError } from '../errors.js';
import { ENV_ID, environmentId } from './identity.js';

const CWD = '/home/ci/work/project';

function rejection(given: string | undefined, env: NodeJS.ProcessEnv = {}): UmlenvError {
  try {
    environmentId(given, env, CWD);
  } catch (error) {
    if (error instanceof UmlenvError) return error;
    throw error;
  }
  throw new Error(`environmentId accepted ${JSON.stringify(given ?? env.UMLENV_ENV)}`);
}

describe('explicit id', () => {
  it('uses --env as given', () => {
    expect(environmentId('pr-17_b.2', {}, CWD)).toBe('pr-17_b.2');
  });

  it('uses UMLENV_ENV when --env is not given', () => {
    expect(environmentId(undefined, { UMLENV_ENV: 'nightly' }, CWD)).toBe('nightly');
  });

  it('prefers --env over UMLENV_ENV and CI variables', () => {
    const env = {
      UMLENV_ENV: 'nightly',
      GITHUB_ACTIONS: 'true',
      GITHUB_RUN_ID: '1',
      BUILD_TAG: 't',
    };
    expect(environmentId('mine', env, CWD)).toBe('mine');
  });

  it('prefers UMLENV_ENV over CI variables', () => {
    expect(environmentId(undefined, { UMLENV_ENV: 'x', BUILD_TAG: 'jenkins-a-1' }, CWD)).toBe('x');
  });

  it('accepts exactly 40 characters', () => {
    expect(environmentId('a'.repeat(40), {}, CWD)).toBe('a'.repeat(40));
  });

  it.each(['', 'Prod', '-lead', '.hidden', 'has space', 'a/b', 'ü', 'a'.repeat(41)])(
    'rejects %j with a hint',
    (id) => {
      const error = rejection(id);
      expect(error.message).toBe(`environment id ${JSON.stringify(id)} is not valid`);
      expect(error.hint).toMatch(/1-40 characters of a-z, 0-9, "\.", "_" and "-"/);
    },
  );

  it('validates UMLENV_ENV too', () => {
    expect(rejection(undefined, { UMLENV_ENV: 'Bad Id' }).message).toBe(
      'environment id "Bad Id" is not valid',
    );
  });
});

describe('GitHub Actions', () => {
  const gh = { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '9876543210' };

  it('combines run id, attempt and job', () => {
    const env = { ...gh, GITHUB_RUN_ATTEMPT: '2', GITHUB_JOB: 'integration' };
    expect(environmentId(undefined, env, CWD)).toBe('gh-9876543210-2-integration');
  });

  it('defaults the attempt to 1 and the job to "job"', () => {
    expect(environmentId(undefined, gh, CWD)).toBe('gh-9876543210-1-job');
  });

  it('sanitizes the job name', () => {
    const env = { ...gh, GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'Build & Test (Linux)' };
    expect(environmentId(undefined, env, CWD)).toBe('gh-9876543210-1-build-test-linux');
  });

  it('gives different jobs of one run different ids', () => {
    const a = environmentId(undefined, { ...gh, GITHUB_JOB: 'unit' }, CWD);
    const b = environmentId(undefined, { ...gh, GITHUB_JOB: 'e2e' }, CWD);
    expect(a).not.toBe(b);
  });

  it('is ignored unless GITHUB_ACTIONS is "true"', () => {
    const env = { GITHUB_ACTIONS: 'false', GITHUB_RUN_ID: '5', BUILD_TAG: 'jenkins-app-3' };
    expect(environmentId(undefined, env, CWD)).toBe('jk-jenkins-app-3-0');
  });
});

describe('Jenkins', () => {
  it('combines BUILD_TAG and EXECUTOR_NUMBER', () => {
    const env = { BUILD_TAG: 'jenkins-My Pipeline-main-42', EXECUTOR_NUMBER: '3' };
    expect(environmentId(undefined, env, CWD)).toBe('jk-jenkins-my-pipeline-main-42-3');
  });

  it('defaults the executor to 0', () => {
    expect(environmentId(undefined, { BUILD_TAG: 'jenkins-app-7' }, CWD)).toBe(
      'jk-jenkins-app-7-0',
    );
  });

  it('gives concurrent executors of one build different ids', () => {
    const a = environmentId(undefined, { BUILD_TAG: 'jenkins-app-7', EXECUTOR_NUMBER: '0' }, CWD);
    const b = environmentId(undefined, { BUILD_TAG: 'jenkins-app-7', EXECUTOR_NUMBER: '1' }, CWD);
    expect(a).not.toBe(b);
  });
});

describe('directory fallback', () => {
  it('names the directory and adds a hash of its path', () => {
    expect(environmentId(undefined, {}, CWD)).toMatch(/^dir-project-[0-9a-f]{6}$/);
  });

  it('is stable for the same directory', () => {
    expect(environmentId(undefined, {}, CWD)).toBe(environmentId(undefined, {}, CWD));
  });

  it('differs for another directory with the same name', () => {
    const other = environmentId(undefined, {}, '/home/ci/other/project');
    expect(other).toMatch(/^dir-project-[0-9a-f]{6}$/);
    expect(other).not.toBe(environmentId(undefined, {}, CWD));
  });

  it('sanitizes the directory name', () => {
    expect(environmentId(undefined, {}, '/src/My App')).toMatch(/^dir-my-app-[0-9a-f]{6}$/);
  });
});

describe('long ids', () => {
  const long = `jenkins-${'very-long-pipeline-name-'.repeat(4)}`;

  it('truncates to at most 40 characters with a hash suffix', () => {
    const id = environmentId(undefined, { BUILD_TAG: `${long}1` }, CWD);
    expect(id.length).toBeLessThanOrEqual(40);
    expect(id).toMatch(/^jk-jenkins-very-long-pipeline-nam-[0-9a-f]{6}$/);
    expect(id).toMatch(ENV_ID);
  });

  it('keeps ids apart that differ only after the cut', () => {
    const a = environmentId(undefined, { BUILD_TAG: `${long}1` }, CWD);
    const b = environmentId(undefined, { BUILD_TAG: `${long}2` }, CWD);
    expect(a.slice(0, -6)).toBe(b.slice(0, -6));
    expect(a).not.toBe(b);
  });

  it('is stable for the same input', () => {
    const env = { BUILD_TAG: `${long}1`, EXECUTOR_NUMBER: '4' };
    expect(environmentId(undefined, env, CWD)).toBe(environmentId(undefined, env, CWD));
  });

  it('truncates long directory names to a valid id', () => {
    const id = environmentId(undefined, {}, `/builds/${'Deeply Nested Checkout '.repeat(5)}`);
    expect(id.length).toBeLessThanOrEqual(40);
    expect(id).toMatch(/^dir-deeply-nested-checkout-deeply-[0-9a-f]{6}$/);
    expect(id).toMatch(ENV_ID);
  });

  it('accepts its own derived ids as explicit ids', () => {
    const id = environmentId(
      undefined,
      { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '1', GITHUB_JOB: long },
      CWD,
    );
    expect(environmentId(id, {}, CWD)).toBe(id);
  });
});
