import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  formatSubnet
} from "./chunk-VO2LAO67.js";
import {
  TAP_PREFIX
} from "./chunk-7KNXEYZV.js";
import {
  execa
} from "./chunk-KKVC5PX3.js";
import "./chunk-G3XLIV3Y.js";
import "./chunk-CRDCTHBJ.js";
import "./chunk-GYJEAFSS.js";

// src/network/firewall.ts
function ruleTag(envId) {
  return `umlenv:${envId}`;
}
function firewallRules(tap, subnet, nat) {
  const established = ["-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"];
  const rules = [
    { table: "filter", chain: "INPUT", spec: ["-i", tap, ...established] },
    { table: "filter", chain: "INPUT", spec: ["-i", tap, "-j", "DROP"] }
  ];
  if (nat) {
    rules.push(
      { table: "filter", chain: "FORWARD", spec: ["-o", tap, ...established] },
      {
        table: "filter",
        chain: "FORWARD",
        spec: ["-i", tap, "!", "-o", `${TAP_PREFIX}+`, "-j", "ACCEPT"]
      },
      {
        table: "nat",
        chain: "POSTROUTING",
        spec: ["-s", formatSubnet(subnet), "!", "-o", tap, "-j", "MASQUERADE"]
      }
    );
  }
  rules.push(
    { table: "filter", chain: "FORWARD", spec: ["-i", tap, "-j", "DROP"] },
    { table: "filter", chain: "FORWARD", spec: ["-o", tap, "-j", "DROP"] }
  );
  return rules;
}
async function applyRules(tag, rules) {
  await restore(insertScript(tag, rules));
}
function insertScript(tag, rules) {
  const positions = /* @__PURE__ */ new Map();
  const lines = rules.map((rule) => {
    const key = `${rule.table}/${rule.chain}`;
    const position = (positions.get(key) ?? 0) + 1;
    positions.set(key, position);
    const op = rule.table === "nat" ? ["-A", rule.chain] : ["-I", rule.chain, String(position)];
    return { table: rule.table, line: [...op, ...rule.spec, "-m", "comment", "--comment", tag] };
  });
  return script(
    ["filter", "nat"].map((t) => [
      t,
      lines.filter((l) => l.table === t).map((l) => l.line.join(" "))
    ])
  );
}
async function removeRules(tag) {
  const { stdout } = await execa("iptables-save");
  await restore(script([...deleteLines(stdout, tag)]));
}
function deleteLines(dump, tag) {
  const tables = /* @__PURE__ */ new Map();
  let table;
  for (const line of dump.split("\n")) {
    if (line.startsWith("*")) tables.set(line.slice(1).trim(), table = []);
    const words = line.split(/\s+/).map((w) => w.replace(/^"(.*)"$/, "$1"));
    if (words[0] === "-A" && words.includes(tag)) table?.push(`-D${line.slice(2)}`);
  }
  return tables;
}
function script(tables) {
  return tables.filter(([, lines]) => lines.length).map(([table, lines]) => `*${table}
${lines.join("\n")}
COMMIT
`).join("");
}
async function restore(input) {
  if (!input) return;
  const r = await execa("iptables-restore", ["-w", "--noflush"], { input, reject: false });
  if (r.exitCode !== 0)
    throw new Error(`iptables-restore failed: ${r.stderr.trim()}
input was:
${input}`);
}
export {
  applyRules,
  deleteLines,
  firewallRules,
  insertScript,
  removeRules,
  ruleTag
};
