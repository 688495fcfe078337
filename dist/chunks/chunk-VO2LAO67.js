import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);

// src/network/ipv4.ts
var OCTETS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
function parseAddress(text) {
  const m = OCTETS.exec(text);
  if (!m) return void 0;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return void 0;
  return (parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]) >>> 0;
}
function formatAddress(n) {
  return [n >>> 24, n >>> 16 & 255, n >>> 8 & 255, n & 255].join(".");
}
function parseSubnet(text) {
  const [addr, bits, ...rest] = text.split("/");
  if (rest.length || bits === void 0 || !/^\d{1,2}$/.test(bits)) return void 0;
  const base = parseAddress(addr);
  const prefix = Number(bits);
  if (base === void 0 || prefix > 32) return void 0;
  if ((base & mask(prefix)) >>> 0 !== base) return void 0;
  return { base, prefix };
}
function formatSubnet(s) {
  return `${formatAddress(s.base)}/${s.prefix}`;
}
function mask(prefix) {
  return prefix === 0 ? 0 : ~0 << 32 - prefix >>> 0;
}
function contains(s, address) {
  return (address & mask(s.prefix)) >>> 0 === s.base;
}
function broadcast(s) {
  return (s.base | ~mask(s.prefix)) >>> 0;
}
function gateway(s) {
  return s.base + 1;
}
function* machineAddresses(s) {
  for (let a = s.base + 2; a < broadcast(s); a++) yield a;
}

export {
  parseAddress,
  formatAddress,
  parseSubnet,
  formatSubnet,
  contains,
  broadcast,
  gateway,
  machineAddresses
};
