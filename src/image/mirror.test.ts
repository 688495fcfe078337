import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostMirror, parseSources, pickMirror } from './mirror.js';

const DEB822 = `Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
`;

describe('parseSources', () => {
  it('reads deb822 stanzas with their suites and key', () => {
    expect(parseSources(DEB822, true)).toEqual([
      {
        uri: 'http://mirror.example/debian',
        suites: ['bookworm', 'bookworm-updates'],
        signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg',
      },
      {
        uri: 'http://mirror.example/debian-security',
        suites: ['bookworm-security'],
        signedBy: undefined,
      },
    ]);
  });

  it('reads one-line entries, skipping deb-src and comments', () => {
    const text =
      '# deb http://old.example/debian bookworm main\ndeb-src http://src.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main\n';
    expect(parseSources(text, false)).toEqual([
      { uri: 'http://one.example/debian', suites: ['bookworm'], signedBy: '/k.gpg' },
    ]);
  });

  it('skips disabled deb822 stanzas', () => {
    expect(
      parseSources(
        'Types: deb\nURIs: http://x.example/debian\nSuites: bookworm\nEnabled: no\n',
        true,
      ),
    ).toEqual([]);
  });
});

describe('pickMirror', () => {
  it('prefers the Debian archive over a third-party repository reusing the suite name', () => {
    const picked = pickMirror(
      [
        { uri: 'https://vendor.example/linux/debian-tools', suites: ['bookworm'] },
        {
          uri: 'http://mirror.example/debian',
          suites: ['bookworm'],
          signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg',
        },
      ],
      'bookworm',
    );
    expect(picked?.uri).toBe('http://mirror.example/debian');
  });

  it('never picks a security or updates source', () => {
    expect(
      pickMirror([{ uri: 'http://mirror.example/debian-security', suites: ['bookworm-security'] }]),
    ).toBeUndefined();
  });
});

describe('hostMirror', () => {
  it('finds the archive in sources.list.d and trims the trailing slash', async () => {
    const etc = await mkdtemp(path.join(tmpdir(), 'umlenv-apt-'));
    await mkdir(path.join(etc, 'sources.list.d'));
    await writeFile(
      path.join(etc, 'sources.list.d', 'debian.sources'),
      DEB822.replace('/debian\n', '/debian/\n'),
    );
    expect(await hostMirror('bookworm', etc)).toBe('http://mirror.example/debian');
    await rm(etc, { recursive: true });
  });

  it('takes the Debian archive even when a vendor repository reusing the suite sorts first', async () => {
    const etc = await mkdtemp(path.join(tmpdir(), 'umlenv-apt-'));
    await mkdir(path.join(etc, 'sources.list.d'));
    await writeFile(
      path.join(etc, 'sources.list.d', 'aaa-vendor.list'),
      'deb https://vendor.example/linux/tools bookworm stable\n',
    );
    await writeFile(path.join(etc, 'sources.list.d', 'debian.sources'), DEB822);
    expect(await hostMirror('bookworm', etc)).toBe('http://mirror.example/debian');
    await rm(etc, { recursive: true });
  });

  it('says how to fix a host without Debian sources', async () => {
    const etc = await mkdtemp(path.join(tmpdir(), 'umlenv-apt-'));
    await expect(hostMirror('bookworm', etc)).rejects.toThrow(
      /no Debian mirror found in this host's apt sources/,
    );
    await rm(etc, { recursive: true });
  });
});
