import { execa } from 'execa';
import { formatSubnet, type Subnet } from './ipv4.js';
import { TAP_PREFIX } from './hostlink.js';

interface Rule {
  table: 'filter' | 'nat';
  chain: string;
  spec: string[];
}

/** The comment that marks an environment's rules, so teardown removes exactly those. */
export function ruleTag(envId: string): string {
  return `umlenv:${envId}`;
}

/**
 * An environment's rules, in the order they must end up at the top of their chains.
 * Guests may answer the host but not open connections to it; they never reach another
 * environment; with NAT they reach the outside through the host's default route.
 */
export function firewallRules(tap: string, subnet: Subnet, nat: boolean): Rule[] {
  const established = ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'];
  const rules: Rule[] = [
    { table: 'filter', chain: 'INPUT', spec: ['-i', tap, ...established] },
    { table: 'filter', chain: 'INPUT', spec: ['-i', tap, '-j', 'DROP'] },
  ];
  if (nat) {
    rules.push(
      { table: 'filter', chain: 'FORWARD', spec: ['-o', tap, ...established] },
      {
        table: 'filter',
        chain: 'FORWARD',
        spec: ['-i', tap, '!', '-o', `${TAP_PREFIX}+`, '-j', 'ACCEPT'],
      },
      {
        table: 'nat',
        chain: 'POSTROUTING',
        spec: ['-s', formatSubnet(subnet), '!', '-o', tap, '-j', 'MASQUERADE'],
      },
    );
  }
  rules.push(
    { table: 'filter', chain: 'FORWARD', spec: ['-i', tap, '-j', 'DROP'] },
    { table: 'filter', chain: 'FORWARD', spec: ['-o', tap, '-j', 'DROP'] },
  );
  return rules;
}

/** Inserts the rules at the top of their chains, in order, each carrying the tag. */
export async function applyRules(tag: string, rules: Rule[]): Promise<void> {
  const positions = new Map<string, number>();
  for (const rule of rules) {
    const key = `${rule.table}/${rule.chain}`;
    const position = (positions.get(key) ?? 0) + 1;
    positions.set(key, position);
    const op = rule.table === 'nat' ? ['-A', rule.chain] : ['-I', rule.chain, String(position)];
    await iptables([
      '-w',
      '-t',
      rule.table,
      ...op,
      ...rule.spec,
      '-m',
      'comment',
      '--comment',
      tag,
    ]);
  }
}

/** Deletes every rule that carries the tag, whoever added it and however far it got. */
export async function removeRules(tag: string): Promise<void> {
  for (const table of ['filter', 'nat']) {
    const { stdout } = await execa('iptables-save', ['-t', table]);
    for (const line of stdout.split('\n')) {
      const words = line.split(/\s+/).map((w) => w.replace(/^"(.*)"$/, '$1'));
      if (words[0] !== '-A' || !words.includes(tag)) continue;
      await iptables(['-w', '-t', table, '-D', ...words.slice(1)]);
    }
  }
}

async function iptables(args: string[]): Promise<void> {
  const r = await execa('iptables', args, { reject: false });
  if (r.exitCode !== 0) throw new Error(`iptables ${args.join(' ')}: ${r.stderr.trim()}`);
}
