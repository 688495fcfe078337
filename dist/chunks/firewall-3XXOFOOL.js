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
  const positions = /* @__PURE__ */ new Map();
  for (const rule of rules) {
    const key = `${rule.table}/${rule.chain}`;
    const position = (positions.get(key) ?? 0) + 1;
    positions.set(key, position);
    const op = rule.table === "nat" ? ["-A", rule.chain] : ["-I", rule.chain, String(position)];
    await iptables([
      "-w",
      "-t",
      rule.table,
      ...op,
      ...rule.spec,
      "-m",
      "comment",
      "--comment",
      tag
    ]);
  }
}
async function removeRules(tag) {
  for (const table of ["filter", "nat"]) {
    const { stdout } = await execa("iptables-save", ["-t", table]);
    for (const line of stdout.split("\n")) {
      const words = line.split(/\s+/).map((w) => w.replace(/^"(.*)"$/, "$1"));
      if (words[0] !== "-A" || !words.includes(tag)) continue;
      await iptables(["-w", "-t", table, "-D", ...words.slice(1)]);
    }
  }
}
async function iptables(args) {
  const r = await execa("iptables", args, { reject: false });
  if (r.exitCode !== 0) throw new Error(`iptables ${args.join(" ")}: ${r.stderr.trim()}`);
}
export {
  applyRules,
  firewallRules,
  removeRules,
  ruleTag
};
