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

/**
 * Inserts the rules at the top of their chains, in order, each carrying the tag: one
 * iptables-restore per call, which applies each table's rules all at once or not at all.
 */
export async function applyRules(tag: string, rules: Rule[]): Promise<void> {
  await restore(insertScript(tag, rules));
}

/** The iptables-restore input that inserts rules: `-I CHAIN N` in filter, appended in nat. */
export function insertScript(tag: string, rules: Rule[]): string {
  const positions = new Map<string, number>();
  const lines = rules.map((rule) => {
    const key = `${rule.table}/${rule.chain}`;
    const position = (positions.get(key) ?? 0) + 1;
    positions.set(key, position);
    const op = rule.table === 'nat' ? ['-A', rule.chain] : ['-I', rule.chain, String(position)];
    return { table: rule.table, line: [...op, ...rule.spec, '-m', 'comment', '--comment', tag] };
  });
  return script(
    ['filter', 'nat'].map((t) => [
      t,
      lines.filter((l) => l.table === t).map((l) => l.line.join(' ')),
    ]),
  );
}

/** Deletes every rule that carries the tag, whoever added it and however far it got. */
export async function removeRules(tag: string): Promise<void> {
  const { stdout } = await execa('iptables-save');
  await restore(script([...deleteLines(stdout, tag)]));
}

/** The rules of an iptables-save dump that carry the tag, as `-D` lines, per table. */
export function deleteLines(dump: string, tag: string): Map<string, string[]> {
  const tables = new Map<string, string[]>();
  let table: string[] | undefined;
  for (const line of dump.split('\n')) {
    if (line.startsWith('*')) tables.set(line.slice(1).trim(), (table = []));
    const words = line.split(/\s+/).map((w) => w.replace(/^"(.*)"$/, '$1'));
    if (words[0] === '-A' && words.includes(tag)) table?.push(`-D${line.slice(2)}`);
  }
  return tables;
}

// One iptables-restore input for the tables that have lines.
function script(tables: [string, string[]][]): string {
  return tables
    .filter(([, lines]) => lines.length)
    .map(([table, lines]) => `*${table}\n${lines.join('\n')}\nCOMMIT\n`)
    .join('');
}

// --noflush: only these lines change; -w: wait for the lock that other iptables users hold.
async function restore(input: string): Promise<void> {
  if (!input) return;
  const r = await execa('iptables-restore', ['-w', '--noflush'], { input, reject: false });
  if (r.exitCode !== 0)
    throw new Error(`iptables-restore failed: ${r.stderr.trim()}\ninput was:\n${input}`);
}
