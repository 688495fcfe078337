import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  execa
} from "./chunk-KKVC5PX3.js";
import {
  stateDir
} from "./chunk-G3XLIV3Y.js";
import {
  UmlenvError
} from "./chunk-CRDCTHBJ.js";

// src/network/hostlink.ts
import { createHash } from "node:crypto";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
var TAP_PREFIX = "ue-";
function tapName(envId) {
  return TAP_PREFIX + createHash("sha256").update(envId).digest("hex").slice(0, 10);
}
async function ip(args) {
  const r = await execa("ip", args, { reject: false });
  if (r.exitCode !== 0)
    throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
}
async function createTap(name, gatewayCidr) {
  await ip(["tuntap", "add", "dev", name, "mode", "tap"]);
  await ip(["address", "add", gatewayCidr, "dev", name]);
  await ip(["link", "set", name, "up"]);
}
async function deleteTap(name) {
  const r = await execa("ip", ["link", "delete", name], { reject: false });
  if (r.exitCode !== 0 && !/Cannot find device/.test(r.stderr))
    throw new Error(`ip link delete ${name}: ${r.stderr.trim()}`);
}
function requireNetAdmin() {
  if (process.getuid?.() === 0) return;
  throw new UmlenvError(
    "linking machines to the host needs root (CAP_NET_ADMIN): network.host, network.nat and ports create a tap device and firewall rules",
    "run umlenv as root, or drop network.host, network.nat and ports: environments without a host link need no privileges for networking"
  );
}
var FORWARD = "/proc/sys/net/ipv4/ip_forward";
function forwardingDir() {
  return path.join(stateDir(), "forwarding");
}
async function useForwarding(envId) {
  const { mkdir } = await import("node:fs/promises");
  await mkdir(forwardingDir(), { recursive: true });
  await writeFile(path.join(forwardingDir(), `${envId}.user`), "");
  if ((await readFile(FORWARD, "utf8")).trim() === "0") {
    await writeFile(path.join(forwardingDir(), "switched-on"), "");
    await writeFile(FORWARD, "1");
  }
}
async function releaseForwarding(envId) {
  await rm(path.join(forwardingDir(), `${envId}.user`), { force: true });
  const left = (await readdir(forwardingDir()).catch(() => [])).filter(
    (f) => f.endsWith(".user")
  );
  if (left.length) return;
  const switchedOn = path.join(forwardingDir(), "switched-on");
  if (await readFile(switchedOn).then(
    () => true,
    () => false
  )) {
    await writeFile(FORWARD, "0");
    await rm(switchedOn, { force: true });
  }
  await rm(forwardingDir(), { recursive: true, force: true });
}
async function hostNameservers() {
  const text = await readFile("/etc/resolv.conf", "utf8").catch(() => "");
  return [...text.matchAll(/^nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/gm)].map((m) => m[1]).filter((a) => !a.startsWith("127."));
}

export {
  TAP_PREFIX,
  tapName,
  createTap,
  deleteTap,
  requireNetAdmin,
  useForwarding,
  releaseForwarding,
  hostNameservers
};
