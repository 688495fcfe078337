import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { UmlenvError } from '../errors.js';

interface Source {
  uri: string;
  suites: string[];
  signedBy?: string;
}

// Parses one-line ("deb URI suite ...") and deb822 (.sources) apt source entries.
export function parseSources(text: string, deb822: boolean): Source[] {
  if (!deb822) {
    return text
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter((l) => l.startsWith('deb '))
      .map((l) => ({
        options: /\[([^\]]*)\]/.exec(l)?.[1] ?? '',
        words: l.replace(/\[[^\]]*\]\s*/, '').split(/\s+/),
      }))
      .map(({ options, words: [, uri, suite] }) => ({
        uri,
        suites: suite ? [suite] : [],
        signedBy: /signed-by=(\S+)/.exec(options)?.[1],
      }));
  }
  return text
    .split(/\n\s*\n/)
    .map((stanza): Source | undefined => {
      const field = (name: string) =>
        new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(stanza.replace(/^#.*$/gm, ''))?.[1].trim();
      const types = field('Types')?.split(/\s+/) ?? [];
      if (!types.includes('deb') || field('Enabled') === 'no') return undefined;
      return {
        uri: field('URIs')?.split(/\s+/)[0] ?? '',
        suites: field('Suites')?.split(/\s+/) ?? [],
        signedBy: field('Signed-By'),
      };
    })
    .filter((s): s is Source => s !== undefined && s.uri !== '');
}

/**
 * The Debian mirror this host's own apt uses: boxes with a local mirror get it for
 * free, and umlenv never names a public mirror itself.
 */
export async function hostMirror(suite?: string, etc = '/etc/apt'): Promise<string> {
  const sources: Source[] = [];
  const read = async (file: string, deb822: boolean) => {
    try {
      sources.push(...parseSources(await readFile(file, 'utf8'), deb822));
    } catch {
      // absent files are normal
    }
  };
  await read(path.join(etc, 'sources.list'), false);
  const dir = path.join(etc, 'sources.list.d');
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries.sort()) {
    if (entry.endsWith('.list')) await read(path.join(dir, entry), false);
    if (entry.endsWith('.sources')) await read(path.join(dir, entry), true);
  }
  const main = pickMirror(sources, suite);
  if (!main) {
    throw new UmlenvError(
      `no Debian mirror found in this host's apt sources (${etc})`,
      'set mirror: in the image of umlenv.yml to the URL of a Debian mirror',
    );
  }
  return main.uri.replace(/\/+$/, '');
}

// The Debian archive among the host's sources: it carries plain suite names (not
// -security or -updates), and third-party repositories that reuse a suite name are
// told apart by Debian's archive key or the /debian path.
export function pickMirror(sources: Source[], suite?: string): Source | undefined {
  const candidates = sources.filter(
    (s) => /^(https?|file):/.test(s.uri) && s.suites.some((x) => /^[a-z]+$/.test(x)),
  );
  const score = (s: Source) =>
    (suite && s.suites.includes(suite) ? 4 : 0) +
    (s.signedBy?.includes('debian-archive-keyring') ? 2 : 0) +
    (/\/debian\/?$/.test(s.uri) ? 1 : 0);
  return candidates.reduce<Source | undefined>(
    (best, s) => (!best || score(s) > score(best) ? s : best),
    undefined,
  );
}
