import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);

// src/config/size.ts
var UNITS = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };
function parseSize(text) {
  const m = /^(\d+)\s*([KMGT])(?:i?B)?$/i.exec(text.trim());
  if (!m) return void 0;
  return Number(m[1]) * UNITS[m[2].toUpperCase()];
}
function mib(bytes) {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export {
  parseSize,
  mib
};
