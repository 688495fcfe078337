import { z } from 'zod';
import { parseAddress, parseSubnet } from '../network/ipv4.js';
import { parseSize } from './size.js';

/** Machine and image names: valid host names, so machines can reach each other by name. */
export const NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$/;

const name = z.string().regex(NAME, {
  error:
    'is not a valid host name: use lower-case letters, digits and "-", start with a letter, do not end with "-", at most 32 characters',
});

const size = (what: string, min: number, max: number) =>
  z.string().refine(
    (s) => {
      const n = parseSize(s);
      return n !== undefined && n >= min && n <= max;
    },
    {
      error: `must be a ${what} such as "256M" or "1G", between ${min / 2 ** 20}M and ${max / 2 ** 30}G`,
    },
  );

const address = z.string().refine((s) => parseAddress(s) !== undefined, {
  error: 'must be an IPv4 address such as "10.224.0.5", or "auto"',
});

const subnet = z.string().refine((s) => parseSubnet(s) !== undefined, {
  error: 'must be an IPv4 subnet in CIDR form such as "10.224.0.0/24" (host bits zero), or "auto"',
});

/** A published port: "8080:80" or "127.0.0.1:15432:5432". */
export const PORT = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5})$/;

const debianPackage = z.string().regex(/^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$/, {
  error: 'must be a Debian package name such as "postgresql" or "curl=7.88.1-10"',
});

export const imageSchema = z.strictObject({
  /** Debian suite to bootstrap. */
  suite: z
    .string()
    .regex(/^[a-z]+(-[a-z]+)?$/, { error: 'must be a Debian suite name such as "bookworm"' })
    .default('bookworm')
    .describe('Debian suite to bootstrap, such as "bookworm".'),
  /** Debian mirror; by default the one this host's apt sources use. */
  mirror: z
    .url({
      protocol: /^(https?|file)$/,
      error: 'must be an http, https or file URL of a Debian mirror',
    })
    .optional()
    .describe("Debian mirror URL; by default the mirror of this host's own apt sources."),
  packages: z
    .array(debianPackage)
    .default([])
    .describe('Extra Debian packages to install into the image.'),
  setup: z
    .string()
    .optional()
    .describe(
      'Shell script run as root inside the image once, when it is built (part of its cache key).',
    ),
  size: size('file-system size', 256 * 2 ** 20, 64 * 2 ** 30)
    .default('1G')
    .describe('Apparent size of the image file system; the file is sparse.'),
});

const duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m)$/, { error: 'must be a duration such as "200ms", "5s" or "2m"' });

const command = z.union([z.string().min(1), z.array(z.string()).min(1)], {
  error: 'must be a shell command string, or a list of program and arguments',
});

export const serviceSchema = z.strictObject({
  command: command.describe(
    'The program to run: a shell command, or a list of program and arguments.',
  ),
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]*$/, { error: 'must be a user name in the guest' })
    .optional()
    .describe('User to run as (default root).'),
  workdir: z
    .string()
    .regex(/^\//, { error: 'must be an absolute path in the guest' })
    .optional()
    .describe('Working directory.'),
  env: z
    .record(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name' }),
      z.string(),
    )
    .default({})
    .describe('Environment variables.'),
});

export const healthcheckSchema = z
  .strictObject({
    command: command
      .optional()
      .describe('A command in the guest that exits 0 when the machine is healthy.'),
    tcp: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe('A TCP port in the guest that accepts connections when healthy.'),
    interval: duration.default('200ms').describe('Time between tries.'),
    retries: z
      .number()
      .int()
      .min(1)
      .max(100000)
      .default(150)
      .describe('Tries before the machine counts as unhealthy.'),
    timeout: duration.default('10s').describe('How long one try may take.'),
  })
  .refine((h) => (h.command === undefined) !== (h.tcp === undefined), {
    error: 'must have exactly one of command and tcp',
  });

export const machineSchema = z.strictObject({
  image: name.optional().describe('Image to boot; may be left out when the config has one image.'),
  address: z
    .union([z.literal('auto'), address])
    .default('auto')
    .describe('IPv4 address on the environment network, or "auto".'),
  memory: size('memory size', 32 * 2 ** 20, 16 * 2 ** 30)
    .default('256M')
    .describe('Guest memory; host memory is used only as the guest touches it.'),
  ports: z
    .array(
      z.string().regex(PORT, {
        error:
          'must be "HOST_PORT:GUEST_PORT" or "HOST_ADDRESS:HOST_PORT:GUEST_PORT", such as "127.0.0.1:15432:5432"',
      }),
    )
    .default([])
    .describe(
      'Host ports forwarded to guest ports while the environment lives; implies network.host.',
    ),
  shares: z
    .array(
      z.strictObject({
        host: z.string().min(1).describe('Host directory, relative to the config file.'),
        guest: z
          .string()
          .regex(/^\/[^\0]*$/, {
            error: 'must be an absolute path in the guest, such as "/workspace"',
          })
          .describe('Where the directory appears in the guest.'),
        readonly: z
          .boolean()
          .default(false)
          .describe('Mount it read-only (enforced on the host side).'),
      }),
    )
    .default([])
    .describe('Host directories mounted into the guest.'),
  boot: z
    .string()
    .optional()
    .describe(
      'Shell script run as root when the machine boots, after what it depends on; up fails when it fails.',
    ),
  services: z
    .record(name, serviceSchema)
    .default({})
    .describe(
      'Long-running programs the machine starts after its boot script; logs: umlenv logs NAME --service S.',
    ),
  healthcheck: healthcheckSchema
    .optional()
    .describe('What makes the machine healthy; up waits for it.'),
  depends_on: z
    .union([
      z.array(name),
      z.record(
        name,
        z.strictObject({
          condition: z.enum(['started', 'healthy', 'completed']).default('started'),
        }),
      ),
    ])
    .default([])
    .describe(
      "Machines whose condition (started, completed, healthy) this machine's boot script and services wait for.",
    ),
});

export const networkSchema = z.strictObject({
  subnet: z
    .union([z.literal('auto'), subnet])
    .default('auto')
    .describe('Subnet of the environment network, or "auto" for a free one leased from the pool.'),
  host: z
    .boolean()
    .default(false)
    .describe(
      'Link the network to the host with a tap device, so host-side steps reach the machines.',
    ),
  nat: z
    .boolean()
    .default(false)
    .describe("Let machines reach the outside through the host's default route; implies host."),
});

export const configSchema = z.strictObject({
  version: z.literal(1).optional().describe('Config format version.'),
  images: z
    .record(name, imageSchema)
    .refine((r) => Object.keys(r).length > 0, { error: 'must define at least one image' })
    .describe('Root images by name.'),
  machines: z
    .record(
      name,
      machineSchema.nullable().transform((m) => m ?? machineSchema.parse({})),
    )
    .refine((r) => Object.keys(r).length > 0, { error: 'must define at least one machine' })
    .describe('Machines by name; each becomes a host name on the environment network.'),
  kernel: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Guest kernel: "stock" (Debian\'s linux.uml), "minimal" (umlenv kernel build), or a path. Default: minimal when built, else stock.',
    ),
  network: networkSchema.default({ subnet: 'auto', host: false, nat: false }),
});

export type RawConfig = z.output<typeof configSchema>;

// The JSON Schema published for editors (schema/umlenv.schema.json).
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
}
