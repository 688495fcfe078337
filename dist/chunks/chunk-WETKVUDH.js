import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);

// src/machine/cmdline.ts
function kernelArgs(plan, host) {
  return [
    `ubd0=${plan.overlay},${plan.imageFile}`,
    "root=/dev/ubda",
    "rw",
    "init=/sbin/umlenv-init",
    `mem=${Math.floor(plan.memoryBytes / 2 ** 20)}M`,
    "con=null",
    "ssl=null",
    "con0=null,fd:1",
    "ssl1=fd:3",
    "noreboot",
    "umid=m",
    `uml_dir=${plan.umlDir}`,
    `eth0=daemon,${plan.mac},unix,${host.switchSocket}`,
    "initcall_blacklist=raid6_select_algo",
    ...host.loopsPerJiffy ? [`lpj=${host.loopsPerJiffy}`] : [],
    "printk.time=1"
  ];
}
var GUEST_HZ = 100;
function loopsPerJiffy(cpuinfo) {
  const bogomips = Number(/^bogomips\s*:\s*([\d.]+)/im.exec(cpuinfo)?.[1]);
  return bogomips > 0 ? Math.round(bogomips * 5e5 / GUEST_HZ) : void 0;
}
function macFor(address) {
  const bytes = [
    2,
    117,
    address >>> 24,
    address >>> 16 & 255,
    address >>> 8 & 255,
    address & 255
  ];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

export {
  kernelArgs,
  loopsPerJiffy,
  macFor
};
