/** IPv4 addresses and subnets as plain numbers, for leasing and validation. */
export interface Subnet {
  base: number;
  prefix: number;
}

const OCTETS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseAddress(text: string): number | undefined {
  const m = OCTETS.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function formatAddress(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseSubnet(text: string): Subnet | undefined {
  const [addr, bits, ...rest] = text.split('/');
  if (rest.length || bits === undefined || !/^\d{1,2}$/.test(bits)) return undefined;
  const base = parseAddress(addr);
  const prefix = Number(bits);
  if (base === undefined || prefix > 32) return undefined;
  if ((base & mask(prefix)) >>> 0 !== base) return undefined;
  return { base, prefix };
}

export function formatSubnet(s: Subnet): string {
  return `${formatAddress(s.base)}/${s.prefix}`;
}

export function mask(prefix: number): number {
  return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}

export function contains(s: Subnet, address: number): boolean {
  return (address & mask(s.prefix)) >>> 0 === s.base;
}

export function broadcast(s: Subnet): number {
  return (s.base | ~mask(s.prefix)) >>> 0;
}

// The gateway is the first host address; it belongs to the host side of the switch.
export function gateway(s: Subnet): number {
  return s.base + 1;
}

// Machine addresses: every host address after the gateway, in order.
export function* machineAddresses(s: Subnet): Generator<number> {
  for (let a = s.base + 2; a < broadcast(s); a++) yield a;
}
