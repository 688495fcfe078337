import { describe, expect, it } from 'vitest';
import {
  broadcast,
  contains,
  formatAddress,
  formatSubnet,
  gateway,
  machineAddresses,
  mask,
  parseAddress,
  parseSubnet,
} from './ipv4.js';

const net24 = { base: 0x0ae00000, prefix: 24 };

describe('parseAddress', () => {
  it.each([
    ['0.0.0.0', 0],
    ['10.224.0.5', 0x0ae00005],
    ['192.168.1.254', 0xc0a801fe],
    ['255.255.255.255', 0xffffffff],
  ])('reads %s as %d', (text, n) => {
    expect(parseAddress(text)).toBe(n);
  });

  it.each([
    '',
    '10.0.0',
    '10.0.0.0.1',
    '10.0.0.256',
    '1000.0.0.1',
    '10.0.0.-1',
    'a.b.c.d',
    ' 10.0.0.1',
  ])('rejects %j', (text) => {
    expect(parseAddress(text)).toBeUndefined();
  });
});

describe('formatAddress', () => {
  it('formats dotted quads, including the high bit', () => {
    expect(formatAddress(0x0ae00005)).toBe('10.224.0.5');
    expect(formatAddress(0xffffffff)).toBe('255.255.255.255');
    expect(formatAddress(0)).toBe('0.0.0.0');
  });

  it('round-trips through parseAddress', () => {
    for (const text of ['10.224.0.5', '172.16.254.1', '200.1.2.3']) {
      expect(formatAddress(parseAddress(text)!)).toBe(text);
    }
  });
});

describe('parseSubnet', () => {
  it('reads CIDR notation', () => {
    expect(parseSubnet('10.224.0.0/24')).toEqual(net24);
    expect(parseSubnet('172.16.0.0/12')).toEqual({ base: 0xac100000, prefix: 12 });
    expect(parseSubnet('0.0.0.0/0')).toEqual({ base: 0, prefix: 0 });
    expect(parseSubnet('10.0.0.7/32')).toEqual({ base: 0x0a000007, prefix: 32 });
  });

  it.each([
    '10.224.0.1/24',
    '10.224.0.0/33',
    '0.0.0.0/33',
    '0.0.0.0/99',
    '10.224.0.0',
    '10.224.0.0/',
    '10.224.0.0/24/8',
    '10.224.0.0/x',
    '10.224.0.0/024',
    '10.224.0.300/24',
  ])('rejects %j', (text) => {
    expect(parseSubnet(text)).toBeUndefined();
  });

  it('formats back to CIDR', () => {
    expect(formatSubnet(parseSubnet('192.168.8.0/21')!)).toBe('192.168.8.0/21');
  });
});

describe('mask', () => {
  it.each([
    [0, 0],
    [8, 0xff000000],
    [24, 0xffffff00],
    [29, 0xfffffff8],
    [32, 0xffffffff],
  ])('/%d is %d', (prefix, m) => {
    expect(mask(prefix)).toBe(m);
  });
});

describe('subnet arithmetic', () => {
  it('knows which addresses a subnet contains', () => {
    expect(contains(net24, parseAddress('10.224.0.0')!)).toBe(true);
    expect(contains(net24, parseAddress('10.224.0.255')!)).toBe(true);
    expect(contains(net24, parseAddress('10.224.1.0')!)).toBe(false);
    expect(contains(net24, parseAddress('10.223.255.255')!)).toBe(false);
  });

  it('finds the broadcast address, including in the top half of the address space', () => {
    expect(formatAddress(broadcast(net24))).toBe('10.224.0.255');
    expect(formatAddress(broadcast(parseSubnet('192.168.0.0/16')!))).toBe('192.168.255.255');
    expect(formatAddress(broadcast(parseSubnet('10.0.0.8/29')!))).toBe('10.0.0.15');
  });

  it('puts the gateway on the first host address', () => {
    expect(formatAddress(gateway(net24))).toBe('10.224.0.1');
  });
});

describe('machineAddresses', () => {
  it('yields every host address after the gateway, in order', () => {
    const all = [...machineAddresses(parseSubnet('10.0.0.8/29')!)].map(formatAddress);
    expect(all).toEqual(['10.0.0.10', '10.0.0.11', '10.0.0.12', '10.0.0.13', '10.0.0.14']);
  });

  it('yields 253 addresses for a /24', () => {
    const all = [...machineAddresses(net24)];
    expect(all).toHaveLength(253);
    expect(formatAddress(all[0])).toBe('10.224.0.2');
    expect(formatAddress(all[252])).toBe('10.224.0.254');
  });

  it('yields nothing when there is no room after the gateway', () => {
    expect([...machineAddresses(parseSubnet('10.0.0.0/31')!)]).toEqual([]);
    expect([...machineAddresses(parseSubnet('10.0.0.0/32')!)]).toEqual([]);
  });
});
