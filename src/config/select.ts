import { ConfigError, type Config } from './spec.js';

/**
 * The machines `up` starts when it is asked for some only: each named one and, with them,
 * every machine they depend on (transitively), as `depends_on` cannot wait for a machine
 * that never starts. Unknown names are refused before anything starts.
 */
export function selectMachines(config: Config, names: string[]): Set<string> {
  const byName = new Map(config.machines.map((m) => [m.name, m]));
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length) {
    const what = unknown.length === 1 ? 'no machine named' : 'no machines named';
    throw new ConfigError(
      `${what} ${unknown.join(', ')} in ${config.file}`,
      `name machines of the config: ${config.machines.map((m) => m.name).join(', ')}`,
    );
  }
  const selected = new Set<string>();
  const visit = (name: string) => {
    if (selected.has(name)) return;
    selected.add(name);
    for (const d of byName.get(name)!.dependsOn) visit(d.machine);
  };
  names.forEach(visit);
  return selected;
}
