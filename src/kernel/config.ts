/** A kernel config as option → value, with "n" for an option that is not set. */
export type KernelConfig = Map<string, string>;

/** Parses `.config` syntax: `CONFIG_X=value` lines and `# CONFIG_X is not set` lines. */
export function parseKernelConfig(text: string): KernelConfig {
  const options: KernelConfig = new Map();
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (set) options.set(set[1], set[2]);
    const unset = /^# (CONFIG_\w+) is not set$/.exec(line);
    if (unset) options.set(unset[1], 'n');
  }
  return options;
}

/**
 * What the fragment asks for that the final config does not have, one line each: Kconfig
 * drops a request silently when a dependency is missing or another option selects it.
 */
export function configMismatches(fragment: string, final: string): string[] {
  const got = parseKernelConfig(final);
  return [...parseKernelConfig(fragment)].flatMap(([option, wanted]) => {
    const value = got.get(option) ?? 'n';
    return value === wanted ? [] : [`${option}: asked for ${wanted}, got ${value}`];
  });
}
