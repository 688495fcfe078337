import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UmlenvError } from '../errors.js';
import { ConfigError, parseConfig } from './load.js';

const FILE = 'env.yml';
const MiB = 2 ** 20;
const GiB = 2 ** 30;
const SCHEMA_HINT =
  'see "Configuration" in the README, or point your editor at schema/umlenv.schema.json';
const HOST_NAME =
  'is not a valid host name: use lower-case letters, digits and "-", start with a letter, do not end with "-", at most 32 characters';
const YAML_HINT = 'fix the YAML at that line';

const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;

/** One image "base" on lines 1-2, machines from line 4. */
const oneImage = (...machines: string[]) => yaml('images:', '  base: {}', 'machines:', ...machines);

/** network.subnet on line 2, one image "base", machines from line 6. */
const onSubnet = (subnet: string, ...machines: string[]) =>
  yaml('network:', `  subnet: ${subnet}`, 'images:', '  base: {}', 'machines:', ...machines);

/** One image "base" whose body starts on line 3, one machine "web". */
const imageWith = (...body: string[]) =>
  yaml('images:', '  base:', ...body, 'machines:', '  web: {}');

function rejection(text: string): ConfigError {
  try {
    parseConfig(text, FILE);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('parseConfig accepted the config');
}

describe('ConfigError', () => {
  it('is a UmlenvError named ConfigError', () => {
    const error = rejection(oneImage('  web:', '    cpu: 2'));
    expect(error).toBeInstanceOf(UmlenvError);
    expect(error.name).toBe('ConfigError');
  });

  it('names umlenv.yml when no file is given', () => {
    expect(() => parseConfig(yaml('images: {}', 'machines:', '  web: {}'))).toThrow(
      /^umlenv\.yml:1:9: images: /,
    );
  });
});

describe('YAML syntax', () => {
  it('reports malformed YAML with its position', () => {
    const error = rejection(yaml('images:', '  base: {}', 'machines:', '  web: {}', '   db: {}'));
    expect(error.message).toMatch(
      /^env\.yml:5:1: malformed YAML: All mapping items must start at the same column$/,
    );
    expect(error.hint).toBe(YAML_HINT);
  });

  it('reports an unclosed flow map', () => {
    expect(rejection(yaml('images:', '  base: {', 'machines: [')).message).toMatch(
      /^env\.yml:3:1: malformed YAML: Flow map/,
    );
  });

  it('reports tab indentation', () => {
    expect(rejection(yaml('images:', '\tbase: {}', 'machines:', '  web: {}')).message).toMatch(
      /^env\.yml:2:1: malformed YAML: Tabs are not allowed as indentation$/,
    );
  });

  it('reports a duplicate machine name at its second occurrence', () => {
    const error = rejection(oneImage('  web: {}', '  web: {}'));
    expect(error.message).toBe(
      'env.yml:5:3: malformed YAML: the key "web" appears twice in one map (machine and image names must be unique)',
    );
    expect(error.hint).toBe(YAML_HINT);
  });

  it('reports a duplicate image name', () => {
    expect(
      rejection(yaml('images:', '  base: {}', '  base: {}', 'machines:', '  web: {}')).message,
    ).toBe(
      'env.yml:3:3: malformed YAML: the key "base" appears twice in one map (machine and image names must be unique)',
    );
  });

  it('rejects a second YAML document at its "---" line', () => {
    const error = rejection(`${oneImage('  web: {}')}---\n${oneImage('  db: {}')}`);
    expect(error.message).toBe(
      'env.yml:5:1: malformed YAML: the file holds more than one YAML document (a "---" line); umlenv reads exactly one',
    );
    expect(error.hint).toBe(YAML_HINT);
  });
});

describe('document shape', () => {
  it('rejects a document that is not a mapping', () => {
    expect(rejection('hello\n').message).toMatch(
      /^env\.yml:1:1: \(top level\): "hello" should be a map of settings$/,
    );
  });

  it('rejects an empty file, naming both missing sections', () => {
    expect(rejection('').message).toBe(
      [
        'env.yml has 2 problems:',
        '  env.yml: images: missing (a config defines at least one image under images:)',
        '  env.yml: machines: missing (a config defines at least one machine under machines:)',
      ].join('\n'),
    );
  });

  it('rejects version 2', () => {
    const error = rejection(`version: 2\n${oneImage('  web: {}')}`);
    expect(error.message).toMatch(/^env\.yml:1:10: version: 2 is not allowed \(allowed: 1\)$/);
    expect(error.hint).toBe(SCHEMA_HINT);
  });

  it('rejects a list where images should be a map', () => {
    expect(rejection(yaml('images: [base]', 'machines:', '  web: {}')).message).toBe(
      'env.yml:1:9: images: ["base"] should be a map of names to settings',
    );
  });

  it('rejects a machine whose body is not a map', () => {
    expect(rejection(oneImage('  web: big')).message).toBe(
      'env.yml:4:8: machines.web: "big" should be a map of settings',
    );
  });
});

describe('unknown keys', () => {
  it('rejects an unknown top-level key and lists the allowed ones', () => {
    expect(rejection(`${oneImage('  web: {}')}foo: 1\n`).message).toMatch(
      /^env\.yml:5:1: foo: unknown key \(allowed here: version, images, machines, kernel, network\)$/,
    );
  });

  it('rejects an unknown machine key and lists the allowed ones', () => {
    expect(rejection(oneImage('  web:', '    cpu: 2')).message).toMatch(
      /^env\.yml:5:5: machines\.web\.cpu: unknown key \(allowed here: image, address, memory, ports, shares, boot, services, healthcheck, depends_on\)$/,
    );
  });

  it('rejects an unknown image key and lists the allowed ones', () => {
    expect(rejection(imageWith('    pkgs: [curl]')).message).toMatch(
      /^env\.yml:3:5: images\.base\.pkgs: unknown key \(allowed here: suite, mirror, packages, setup, size\)$/,
    );
  });

  it('rejects an unknown network key and lists the allowed ones', () => {
    const text = yaml(
      'network:',
      '  cidr: 10.0.0.0/24',
      'images:',
      '  base: {}',
      'machines:',
      '  web: {}',
    );
    expect(rejection(text).message).toMatch(
      /^env\.yml:2:3: network\.cidr: unknown key \(allowed here: subnet, host, nat\)$/,
    );
  });
});

describe('names', () => {
  it('rejects an upper-case machine name', () => {
    expect(rejection(oneImage('  Web: {}')).message).toBe(
      `env.yml:4:3: machines.Web: the name "Web" ${HOST_NAME}`,
    );
  });

  it('rejects an underscore in a machine name', () => {
    expect(rejection(oneImage('  my_web: {}')).message).toBe(
      `env.yml:4:3: machines.my_web: the name "my_web" ${HOST_NAME}`,
    );
  });

  it('rejects a machine name longer than 32 characters', () => {
    const long = 'a'.repeat(33);
    expect(rejection(oneImage(`  ${long}: {}`)).message).toBe(
      `env.yml:4:3: machines.${long}: the name "${long}" ${HOST_NAME}`,
    );
  });

  it('rejects a machine name ending in "-"', () => {
    expect(rejection(oneImage('  web-: {}')).message).toBe(
      `env.yml:4:3: machines.web-: the name "web-" ${HOST_NAME}`,
    );
  });

  it('rejects an upper-case image name', () => {
    const text = yaml('images:', '  Base: {}', 'machines:', '  web: {}');
    expect(rejection(text).message).toBe(`env.yml:2:3: images.Base: the name "Base" ${HOST_NAME}`);
  });
});

describe('addresses', () => {
  it('rejects a malformed address', () => {
    expect(rejection(onSubnet('10.0.0.0/24', '  web:', '    address: 10.0.0.300')).message).toMatch(
      /^env\.yml:7:14: machines\.web\.address: "10\.0\.0\.300" must be an IPv4 address such as "10\.224\.0\.5", or "auto"$/,
    );
  });

  it('rejects an address outside the subnet', () => {
    const error = rejection(onSubnet('10.0.0.0/24', '  web:', '    address: 10.0.1.5'));
    expect(error.message).toMatch(
      /^env\.yml:7:14: machines\.web\.address: "10\.0\.1\.5" is outside network\.subnet 10\.0\.0\.0\/24$/,
    );
    expect(error.hint).toBe('pick an address inside the subnet, or use address: auto');
  });

  it.each([
    ['10.0.0.0', 'network'],
    ['10.0.0.255', 'broadcast'],
  ])('rejects %s as the %s address', (address, kind) => {
    const error = rejection(onSubnet('10.0.0.0/24', '  web:', `    address: ${address}`));
    expect(error.message).toBe(
      `env.yml:7:14: machines.web.address: "${address}" is the ${kind} address of 10.0.0.0/24`,
    );
    expect(error.hint).toBe('pick a host address inside the subnet');
  });

  it('rejects the gateway address', () => {
    const error = rejection(onSubnet('10.0.0.0/24', '  web:', '    address: 10.0.0.1'));
    expect(error.message).toMatch(
      /^env\.yml:7:14: machines\.web\.address: "10\.0\.0\.1" is the gateway address of 10\.0\.0\.0\/24, kept for the host$/,
    );
    expect(error.hint).toBe('pick another address, from the third address of the subnet on');
  });

  it('rejects two machines with one address, naming both', () => {
    const text = onSubnet(
      '10.0.0.0/24',
      '  web:',
      '    address: 10.0.0.5',
      '  db:',
      '    address: 10.0.0.5',
    );
    const error = rejection(text);
    expect(error.message).toMatch(
      /^env\.yml:9:14: machines\.db\.address: "10\.0\.0\.5" is already the address of machine web$/,
    );
    expect(error.hint).toBe('give every machine its own address');
  });

  it('rejects a fixed address when the subnet is auto', () => {
    const error = rejection(oneImage('  web:', '    address: 10.0.0.5'));
    expect(error.message).toMatch(
      /^env\.yml:5:14: machines\.web\.address: "10\.0\.0\.5" is fixed but network\.subnet is "auto"$/,
    );
    expect(error.hint).toBe(
      'set network.subnet to the subnet that holds the fixed addresses, or use address: auto',
    );
  });
});

describe('subnet', () => {
  it('accepts a /30 with room for its one machine', () => {
    const config = parseConfig(onSubnet('10.0.0.0/30', '  web: {}'), FILE);
    expect(config.subnet).toEqual({ base: 0x0a000000, prefix: 30 });
    expect(config.machines.map((m) => m.name)).toEqual(['web']);
  });

  it.each(['31', '32'])('rejects a /%s as too small', (prefix) => {
    const error = rejection(onSubnet(`10.0.0.0/${prefix}`, '  web: {}'));
    expect(error.message).toBe(
      `env.yml:2:11: network.subnet: "10.0.0.0/${prefix}" is too small: a /${prefix} has no room for the gateway and a machine`,
    );
    expect(error.hint).toBe('use a /30 or larger, such as a /24');
  });

  it('rejects two machines in a /30', () => {
    const error = rejection(onSubnet('10.0.0.0/30', '  web: {}', '  db: {}'));
    expect(error.message).toBe(
      'env.yml:2:11: network.subnet: 10.0.0.0/30 has room for 1 machine, the config asks for 2',
    );
    expect(error.hint).toBe('use a larger subnet');
  });

  it('rejects a subnet with host bits set', () => {
    expect(rejection(onSubnet('10.0.0.1/24', '  web: {}')).message).toMatch(
      /^env\.yml:2:11: network\.subnet: "10\.0\.0\.1\/24" must be an IPv4 subnet in CIDR form such as "10\.224\.0\.0\/24" \(host bits zero\), or "auto"$/,
    );
  });

  it('rejects a value that is not a subnet', () => {
    expect(rejection(onSubnet('banana', '  web: {}')).message).toMatch(
      /^env\.yml:2:11: network\.subnet: "banana" must be an IPv4 subnet in CIDR form/,
    );
  });

  it('rejects more machines than the subnet holds', () => {
    const error = rejection(
      onSubnet('10.0.0.0/29', ...['a', 'b', 'c', 'd', 'e', 'f'].map((m) => `  ${m}: {}`)),
    );
    expect(error.message).toBe(
      'env.yml:2:11: network.subnet: 10.0.0.0/29 has room for 5 machines, the config asks for 6',
    );
    expect(error.hint).toBe('use a larger subnet');
  });
});

describe('images', () => {
  it('rejects a machine naming an unknown image, listing the defined ones', () => {
    const error = rejection(oneImage('  web:', '    image: nope'));
    expect(error.message).toMatch(/^env\.yml:5:12: machines\.web\.image: unknown image "nope"$/);
    expect(error.hint).toBe('use one of the defined images (base), or define "nope" under images');
  });

  it('rejects a machine without an image when there are two images', () => {
    const error = rejection(yaml('images:', '  base: {}', '  other: {}', 'machines:', '  web: {}'));
    expect(error.message).toMatch(
      /^env\.yml:5:8: machines\.web\.image: missing, and the config defines 2 images$/,
    );
    expect(error.hint).toBe('set image: to one of base, other');
  });

  it('rejects a config without images', () => {
    expect(rejection(yaml('images: {}', 'machines:', '  web: {}')).message).toMatch(
      /^env\.yml:1:9: images: \{\} must define at least one image$/,
    );
  });

  it('rejects a config without machines', () => {
    expect(rejection(yaml('images:', '  base: {}', 'machines: {}')).message).toMatch(
      /^env\.yml:3:11: machines: \{\} must define at least one machine$/,
    );
  });

  it('rejects a config with the machines section left out', () => {
    expect(rejection(yaml('images:', '  base: {}')).message).toMatch(
      /^env\.yml:1:1: machines: missing \(a config defines at least one machine under machines:\)$/,
    );
  });

  it('rejects a bad suite', () => {
    expect(rejection(imageWith('    suite: Bookworm')).message).toMatch(
      /^env\.yml:3:12: images\.base\.suite: "Bookworm" must be a Debian suite name such as "bookworm"$/,
    );
  });

  it.each(['ftp://mirror.example/debian', 'not a url'])('rejects the mirror %j', (mirror) => {
    expect(rejection(imageWith(`    mirror: ${mirror}`)).message).toBe(
      `env.yml:3:13: images.base.mirror: "${mirror}" must be an http, https or file URL of a Debian mirror`,
    );
  });

  it('rejects a bad package name, naming its index', () => {
    expect(rejection(imageWith('    packages: [curl, Curl]')).message).toMatch(
      /^env\.yml:3:22: images\.base\.packages\.1: "Curl" must be a Debian package name such as "postgresql" or "curl=7\.88\.1-10"$/,
    );
  });

  it('rejects an image size below the minimum', () => {
    expect(rejection(imageWith('    size: 100M')).message).toMatch(
      /^env\.yml:3:11: images\.base\.size: "100M" must be a file-system size such as "256M" or "1G", between 256M and 64G$/,
    );
  });
});

describe('memory', () => {
  it('rejects a memory size that is not a size', () => {
    const error = rejection(oneImage('  web:', '    memory: lots'));
    expect(error.message).toMatch(
      /^env\.yml:5:13: machines\.web\.memory: "lots" must be a memory size such as "256M" or "1G", between 32M and 16G$/,
    );
    expect(error.hint).toBe(SCHEMA_HINT);
  });

  it('rejects memory below 32M', () => {
    expect(rejection(oneImage('  web:', '    memory: 16M')).message).toMatch(
      /^env\.yml:5:13: machines\.web\.memory: "16M" must be .*between 32M and 16G$/,
    );
  });

  it('rejects memory above 16G', () => {
    expect(rejection(oneImage('  web:', '    memory: 32G')).message).toMatch(
      /^env\.yml:5:13: machines\.web\.memory: "32G" must be .*between 32M and 16G$/,
    );
  });
});

describe('several problems', () => {
  it('lists every problem with its own position', () => {
    const text = `version: 2\nfoo: 1\n${oneImage('  web:', '    memory: x')}`;
    expect(rejection(text).message).toBe(
      [
        'env.yml has 3 problems:',
        '  env.yml:1:10: version: 2 is not allowed (allowed: 1)',
        '  env.yml:7:13: machines.web.memory: "x" must be a memory size such as "256M" or "1G", between 32M and 16G',
        '  env.yml:2:1: foo: unknown key (allowed here: version, images, machines, kernel, network)',
      ].join('\n'),
    );
  });

  it('shows at most ten problems', () => {
    const machines = Array.from({ length: 12 }, (_, i) => [`  m${i}:`, '    memory: x']).flat();
    const message = rejection(oneImage(...machines)).message;
    expect(message.split('\n')).toHaveLength(11);
    expect(message).toMatch(
      /^env\.yml has 12 problems \(the first 10 shown\):\n {2}env\.yml:5:13: machines\.m0\.memory: "x" must be a memory size /,
    );
    expect(message).toMatch(
      /\n {2}env\.yml:23:13: machines\.m9\.memory: "x" must be a memory size [^\n]*$/,
    );
    expect(message).not.toMatch(/machines\.m1[01]/);
  });
});

describe('valid configs', () => {
  it('applies the defaults', () => {
    expect(parseConfig(oneImage('  web: {}'), FILE)).toEqual({
      file: path.resolve(FILE),
      images: {
        base: { name: 'base', suite: 'bookworm', packages: [], sizeBytes: GiB },
      },
      machines: [
        {
          name: 'web',
          image: 'base',
          memoryBytes: 256 * MiB,
          ports: [],
          shares: [],
          boot: undefined,
          services: [],
          healthcheck: undefined,
          dependsOn: [],
        },
      ],
      host: false,
      hostAsked: false,
      nat: false,
    });
  });

  it('leaves the address and subnet undefined for auto', () => {
    const config = parseConfig(oneImage('  web: {}'), FILE);
    expect(config.subnet).toBeUndefined();
    expect(config.machines[0].address).toBeUndefined();
  });

  it('accepts a machine with an empty body', () => {
    expect(parseConfig(oneImage('  frontend:', '  backend: {}'), FILE).machines).toEqual([
      {
        name: 'frontend',
        image: 'base',
        address: undefined,
        memoryBytes: 256 * MiB,
        ports: [],
        shares: [],
        boot: undefined,
        services: [],
        healthcheck: undefined,
        dependsOn: [],
      },
      {
        name: 'backend',
        image: 'base',
        address: undefined,
        memoryBytes: 256 * MiB,
        ports: [],
        shares: [],
        boot: undefined,
        services: [],
        healthcheck: undefined,
        dependsOn: [],
      },
    ]);
  });

  it('accepts fixed addresses inside the subnet, mixed with auto ones', () => {
    const text = onSubnet(
      '10.0.0.0/24',
      '  web:',
      '    address: 10.0.0.2',
      '  db:',
      '    address: 10.0.0.254',
      '  cache: {}',
    );
    const config = parseConfig(text, FILE);
    expect(config.subnet).toEqual({ base: 0x0a000000, prefix: 24 });
    expect(config.machines.map((m) => [m.name, m.address])).toEqual([
      ['web', 0x0a000002],
      ['db', 0x0a0000fe],
      ['cache', undefined],
    ]);
  });

  it('fills a /29 with its five machines', () => {
    const config = parseConfig(
      onSubnet('10.0.0.0/29', ...['a', 'b', 'c', 'd', 'e'].map((m) => `  ${m}: {}`)),
      FILE,
    );
    expect(config.machines.map((m) => m.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('reads every image and machine field', () => {
    const text = yaml(
      'version: 1',
      'images:',
      '  base: {}',
      '  db-image:',
      '    suite: trixie',
      '    mirror: http://mirror.example/debian',
      '    packages: [postgresql, curl=7.88.1-10]',
      '    setup: |',
      '      echo ready > /etc/motd',
      '    size: 2G',
      'machines:',
      '  db:',
      '    image: db-image',
      '    memory: 1G',
      '  web:',
      '    image: base',
      '    memory: 512MiB',
    );
    expect(parseConfig(text, FILE)).toEqual({
      file: path.resolve(FILE),
      images: {
        base: { name: 'base', suite: 'bookworm', packages: [], sizeBytes: GiB },
        'db-image': {
          name: 'db-image',
          suite: 'trixie',
          mirror: 'http://mirror.example/debian',
          packages: ['postgresql', 'curl=7.88.1-10'],
          setup: 'echo ready > /etc/motd\n',
          sizeBytes: 2 * GiB,
        },
      },
      machines: [
        {
          name: 'db',
          image: 'db-image',
          memoryBytes: GiB,
          ports: [],
          shares: [],
          boot: undefined,
          services: [],
          healthcheck: undefined,
          dependsOn: [],
        },
        {
          name: 'web',
          image: 'base',
          memoryBytes: 512 * MiB,
          ports: [],
          shares: [],
          boot: undefined,
          services: [],
          healthcheck: undefined,
          dependsOn: [],
        },
      ],
      host: false,
      hostAsked: false,
      nat: false,
    });
  });

  it('resolves the file path', () => {
    expect(parseConfig(oneImage('  web: {}'), 'ci/env.yml').file).toBe(path.resolve('ci/env.yml'));
  });
});
