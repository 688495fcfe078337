import { defineConfig } from 'vitest/config';

// Integration tests boot real guests and share the host's image cache and fixed
// environment ids, so each integration project runs its files one at a time, and
// the projects run one after another (sequence.groupOrder).
const integration = {
  testTimeout: 120_000,
  hookTimeout: 300_000,
  fileParallelism: false,
};

export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.test.ts'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          // Debian's stock kernel, even where a minimal one is built (the default then).
          env: { UMLENV_KERNEL: 'stock' },
          sequence: { groupOrder: 1 },
          ...integration,
        },
      },
      {
        // Every test that boots guests, again with umlenv's minimal kernel (built once).
        extends: true,
        test: {
          name: 'integration-minimal-kernel',
          include: ['test/**/*.test.ts'],
          exclude: ['test/image.test.ts', 'test/kernel.test.ts', '**/node_modules/**'],
          globalSetup: ['test/minimal-kernel.setup.ts'],
          env: { UMLENV_KERNEL: 'minimal' },
          sequence: { groupOrder: 2 },
          ...integration,
        },
      },
    ],
  },
});
