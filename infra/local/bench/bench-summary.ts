/**
 * What a platform's dashboard summary (GET /v1/summary) costs with 10,000 and with 100,000 tips
 * in its window (or other sizes):
 *   npm run bench:summary -- [runs=7] [small=10000] [large=100000] [inMemory|dbPath]
 * Starts a DynamoDB Local of its own (the stack's jars; `-inMemory` by default, `dbPath` for a
 * database on disk as the stack keeps it), so seeding neither fills nor slows the stack's, and
 * creates the service's tables in it. Seeds two platforms (`small` and `large` ended tips over the
 * last 23 hours, in BatchWriteItem requests of 25, many at once; with the recipients' totals and
 * the hourly counters the payer would have kept, added up by the domain's own increment rule and
 * written once per bucket), then times the summary use case the route calls, alternating the two
 * platforms, and prints the medians and their ratio. The summary reads the window's hourly
 * counters and the newest 1,000 tips, so the two should cost about the same. Needs the stack
 * running (the service's environment: keys, queue); its database is not touched.
 */
import { randomUUID } from 'node:crypto';
import { createApiDeps } from '../../../functions/api/runtime.js';
import {
  ensureTables,
  TABLE_KEYS,
  type TableNames,
} from '../../../shared/adapters/dynamodb/tables.js';
import { summarizePlatform } from '../../../shared/app/platform-summary.js';
import { createPlatform } from '../../../shared/app/platforms.js';
import { readStackFile } from '../../../shared/config/stack-file.js';
import { tableNameEnv } from '../../../shared/config/tables.js';
import { seedPlatformTips } from '../../../test/support/seed-tips.js';
import { localServiceEnv } from '../emulators/service.js';
import { readStackConfig, runPaths } from '../stack/config.js';
import { median } from './lambda-assets.js';
import { type ScratchStorage, startScratchDynamoDb } from './scratch-dynamodb.js';

const [runs, small, large] = [
  Number(process.argv[2] ?? '7'),
  Number(process.argv[3] ?? '10000'),
  Number(process.argv[4] ?? '100000'),
];
const storage = (process.argv[5] ?? 'inMemory') as ScratchStorage;
if (
  ![runs, small, large].every((n) => Number.isSafeInteger(n) && n >= 1) ||
  !['inMemory', 'dbPath'].includes(storage)
) {
  process.stderr.write(
    'usage: npm run bench:summary -- [runs=7] [small=10000] [large=100000] [inMemory|dbPath]\n',
  );
  process.exit(2);
}
const stack = await readStackFile(runPaths(readStackConfig().runDir).stackFile);
if (!stack) {
  process.stderr.write('no stack running: "npm run stack:up" first\n');
  process.exit(1);
}
const tables = Object.fromEntries(
  TABLE_KEYS.map((key) => [key, `tipstream-bench-summary-${key}`]),
) as unknown as TableNames;
const scratch = await startScratchDynamoDb(storage);
const dynamodb = scratch.client;
await ensureTables(dynamodb, tables);
const deps = createApiDeps(
  await localServiceEnv(stack, {
    ...tableNameEnv(tables),
    TIPSTREAM_DYNAMODB_ENDPOINT: scratch.endpoint,
  }),
);
process.stdout.write(`DynamoDB Local of its own (${storage}) at ${scratch.endpoint}\n`);

const sizes = [small, large];
const platforms = [];
for (const count of sizes) {
  const { platform } = await createPlatform(deps.platforms, {
    platformId: `bench-summary-${count}-${randomUUID().slice(0, 6)}`,
    dailyLimitSats: 1_000,
  });
  const seeded = await seedPlatformTips(dynamodb, tables, platform.platformId, { count });
  process.stdout.write(
    `seeded ${count} tips in ${(seeded.elapsedMs / 1000).toFixed(1)} s (${Math.round(count / (seeded.elapsedMs / 1000))} tips/s, batched writes)\n`,
  );
  platforms.push({ platform, count, seeded, times: [] as number[] });
}

for (let run = 0; run < runs; run += 1) {
  for (const entry of run % 2 ? [...platforms].reverse() : platforms) {
    const started = performance.now();
    const summary = await summarizePlatform({ platform: entry.platform, window: '24h' }, deps);
    entry.times.push(performance.now() - started);
    if (summary.totals.succeeded.count !== entry.seeded.succeeded.count) {
      throw new Error(`summary of ${entry.count} tips counted ${summary.totals.succeeded.count}`);
    }
  }
}
const [smallMs, largeMs] = platforms.map((entry) => median(entry.times));
process.stdout.write(
  `\nGET /v1/summary (24h window), median of ${runs}:\n` +
    `  ${sizes[0]} tips: ${smallMs?.toFixed(1)} ms\n` +
    `  ${sizes[1]} tips: ${largeMs?.toFixed(1)} ms\n` +
    `  ratio ${sizes[1]} / ${sizes[0]}: ${((largeMs ?? 0) / (smallMs ?? 1)).toFixed(2)}\n`,
);
deps.close();
await scratch.stop();
