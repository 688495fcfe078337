import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configMismatches, parseKernelConfig } from './config.js';

describe('parseKernelConfig', () => {
  it('reads set and unset options and ignores comments', () => {
    const config = parseKernelConfig(
      ['# a comment', 'CONFIG_A=y', 'CONFIG_HZ=100', '# CONFIG_B is not set', ''].join('\n'),
    );
    expect([...config]).toEqual([
      ['CONFIG_A', 'y'],
      ['CONFIG_HZ', '100'],
      ['CONFIG_B', 'n'],
    ]);
  });
});

describe('configMismatches', () => {
  it('names each option the final config did not keep', () => {
    const fragment = 'CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=y\n# CONFIG_D is not set\n';
    const final = 'CONFIG_A=y\nCONFIG_B=y\n# CONFIG_C is not set\n';
    expect(configMismatches(fragment, final)).toEqual([
      'CONFIG_B: asked for n, got y',
      'CONFIG_C: asked for y, got n',
    ]);
  });

  it('finds nothing to say when the final config has every request', () => {
    expect(configMismatches('CONFIG_A=y\n# CONFIG_B is not set\n', 'CONFIG_A=y\n')).toEqual([]);
  });

  it('understands every line of the fragment umlenv ships', async () => {
    const fragment = await readFile(new URL('../../kernel/umlenv.config', import.meta.url), 'utf8');
    const requests = fragment.split('\n').filter((l) => /^(# )?CONFIG_/.test(l));
    expect(parseKernelConfig(fragment).size).toBe(requests.length);
  });
});
