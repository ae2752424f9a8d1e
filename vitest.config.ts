import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**', 'node_modules/**'],
          // Property tests run hundreds of cases: generous on a loaded 2-core machine.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Starts the real local stack once per run (or reuses a running one).
          globalSetup: ['test/integration/global-setup.ts'],
          // One file at a time: the files share one regtest network and its channel balances.
          fileParallelism: false,
          // Tables of their own (a queue each, too: helpers.ts), so a running `npm start` neither
          // sees nor drives the tests' tips, and the tests count only their own. Platforms stay
          // in the local table: the CLI's `platform` commands take a platforms table name as
          // "a deployed Tipstream", and a test platform changes nothing for the service.
          env: Object.fromEntries(
            [
              'TIPS',
              'PAYOUTS',
              'BATCHES',
              'REQUESTS',
              'BUDGETS',
              'WEBHOOK_ENDPOINTS',
              'WEBHOOK_DELIVERIES',
            ].map((table) => [
              `TIPSTREAM_${table}_TABLE`,
              `tipstream-test-${table.toLowerCase().replace('_', '-')}`,
            ]),
          ),
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
