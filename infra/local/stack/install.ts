import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LND_BUILD_TAGS, PINNED, type StackConfig } from './config.js';
import type { Progress } from './progress.js';

class InstallError extends Error {
  override name = 'InstallError';
}

interface RunResult {
  code: number | null;
  output: string;
}

/** Runs a tool, feeding each output line to `onLine`; keeps the output for the error message. */
const runTool = (
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; onLine?: (line: string) => void },
): Promise<RunResult> =>
  new Promise((done, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let partial = '';
    const onData = (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        output += `${line}\n`;
        options.onLine?.(line);
      }
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) =>
      reject(
        new InstallError(
          `could not run "${command}": ${(error as NodeJS.ErrnoException).code ?? error.message}. Is it installed and on PATH?`,
          { cause: error },
        ),
      ),
    );
    child.once('close', (code) => done({ code, output: output + partial }));
  });

const lastLines = (text: string, count = 30) => text.trimEnd().split('\n').slice(-count).join('\n');

export interface LightningBinaries {
  lnd: string;
  lncli: string;
  btcd: string;
  btcctl: string;
}

/** The wrapper module that pins lnd (and through it btcd) with lnd's own `replace` lines. */
const goModuleDir = (config: StackConfig) =>
  join(config.projectDir, 'infra', 'local', 'stack', 'go');

const goPackages = {
  lnd: 'github.com/lightningnetwork/lnd/cmd/lnd',
  lncli: 'github.com/lightningnetwork/lnd/cmd/lncli',
  btcd: 'github.com/btcsuite/btcd',
  btcctl: 'github.com/btcsuite/btcd/cmd/btcctl',
} as const;

/**
 * Builds lnd, lncli, btcd and btcctl from the Go module proxy into the cache, once per recipe
 * (pinned versions, tags, go version): a second call finds them and returns at once.
 */
export const ensureLightningBinaries = async (
  config: StackConfig,
  progress: Progress,
): Promise<LightningBinaries> => {
  const moduleDir = goModuleDir(config);
  const goVersion = await runTool(config.goBin, ['env', 'GOVERSION'], {});
  if (goVersion.code !== 0) {
    throw new InstallError(
      `"${config.goBin} env GOVERSION" failed:\n${lastLines(goVersion.output)}`,
    );
  }
  const ldflags = `-X github.com/lightningnetwork/lnd/build.Commit=${PINNED.lnd}`;
  const recipe = createHash('sha256')
    .update(await readFile(join(moduleDir, 'go.mod')))
    .update(await readFile(join(moduleDir, 'go.sum')))
    .update(JSON.stringify({ tags: LND_BUILD_TAGS, ldflags, go: goVersion.output.trim() }))
    .digest('hex')
    .slice(0, 12);
  const target = join(config.cacheDir, 'bin', `lnd-${PINNED.lnd}-${recipe}`);
  const binaries = Object.fromEntries(
    Object.keys(goPackages).map((name) => [name, join(target, name)]),
  ) as unknown as LightningBinaries;
  if (existsSync(join(target, '.complete'))) return binaries;

  const staging = `${target}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  let downloaded = 0;
  let compiled = 0;
  const result = await progress.step(
    `building lnd ${PINNED.lnd} and btcd with ${goVersion.output.trim()}`,
    () =>
      runTool(
        config.goBin,
        [
          'build',
          '-v',
          '-trimpath',
          '-tags',
          LND_BUILD_TAGS.join(','),
          '-ldflags',
          ldflags,
          '-o',
          `${staging}/`,
          ...Object.values(goPackages),
        ],
        {
          cwd: moduleDir,
          env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' },
          onLine: (line) => {
            if (line.startsWith('go: downloading')) downloaded += 1;
            else if (!line.startsWith('go:') && !line.startsWith('#')) compiled += 1;
          },
        },
      ),
    {
      hint: 'first run only: Go modules from the proxy, then about 3-6 minutes of compiling on 2 cores; cached afterwards',
      detail: () => `${downloaded} modules downloaded, ${compiled} packages compiled`,
      tickMs: 15_000,
    },
  );
  if (result.code !== 0) {
    await rm(staging, { recursive: true, force: true });
    throw new InstallError(
      `go build of lnd ${PINNED.lnd} failed (exit ${result.code}) in ${moduleDir}:\n${lastLines(result.output)}`,
    );
  }
  await writeFile(join(staging, '.complete'), `${new Date().toISOString()}\n`);
  await rm(target, { recursive: true, force: true });
  await rename(staging, target);
  return binaries;
};

export interface JavaArtifact {
  /** Cache folder name and label. */
  name: string;
  groupId: string;
  artifactId: string;
  version: string;
}

export const DYNAMODB_LOCAL: JavaArtifact = {
  name: 'dynamodb-local',
  groupId: 'software.amazon.dynamodb',
  artifactId: 'DynamoDBLocal',
  version: PINNED.dynamodbLocal,
};

export const ELASTICMQ: JavaArtifact = {
  name: 'elasticmq',
  groupId: 'org.elasticmq',
  artifactId: 'elasticmq-server_2.13',
  version: PINNED.elasticmq,
};

const pomFor = (artifact: JavaArtifact) => `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by tipstream infra/local/stack/install.ts: fetches ${artifact.artifactId} and its dependencies. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>tipstream.local</groupId>
  <artifactId>fetch-${artifact.name}</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>${artifact.groupId}</groupId>
      <artifactId>${artifact.artifactId}</artifactId>
      <version>${artifact.version}</version>
    </dependency>
  </dependencies>
</project>
`;

/**
 * Fetches a Java server and its dependencies from Maven Central into `<cache>/java/<name>-<v>/lib`
 * (Maven's own ~/.m2 is reused too). Returns the lib folder.
 */
export const ensureJavaArtifact = async (
  config: StackConfig,
  artifact: JavaArtifact,
  progress: Progress,
): Promise<string> => {
  const target = join(config.cacheDir, 'java', `${artifact.name}-${artifact.version}`);
  const lib = join(target, 'lib');
  if (existsSync(join(target, '.complete'))) return lib;

  const staging = `${target}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, 'pom.xml'), pomFor(artifact));
  let fetched = 0;
  const result = await progress.step(
    `fetching ${artifact.artifactId} ${artifact.version} from Maven Central`,
    () =>
      runTool(
        config.mvnBin,
        [
          '-B',
          '-f',
          join(staging, 'pom.xml'),
          'dependency:copy-dependencies',
          `-DoutputDirectory=${join(staging, 'lib')}`,
        ],
        {
          onLine: (line) => {
            if (line.includes('Downloaded from')) fetched += 1;
          },
        },
      ),
    { hint: 'first run only', detail: () => `${fetched} files downloaded` },
  );
  if (result.code !== 0) {
    await rm(staging, { recursive: true, force: true });
    throw new InstallError(
      `Maven could not fetch ${artifact.groupId}:${artifact.artifactId}:${artifact.version}:\n${lastLines(result.output)}`,
    );
  }
  const jars = (await readdir(join(staging, 'lib'))).filter((file) => file.endsWith('.jar'));
  if (jars.length === 0) throw new InstallError(`Maven fetched no jars for ${artifact.artifactId}`);
  await writeFile(join(staging, '.complete'), `${new Date().toISOString()}\n`);
  await rm(target, { recursive: true, force: true });
  await rename(staging, target);
  return lib;
};

/** Checks that a JDK is there before the Java parts start, with a message that says what to do. */
export const checkJava = async (config: StackConfig): Promise<string> => {
  const result = await runTool(config.javaBin, ['-version'], {});
  if (result.code !== 0) {
    throw new InstallError(
      `"${config.javaBin} -version" failed; DynamoDB Local and ElasticMQ need Java 17+ (set TIPSTREAM_JAVA to its path):\n${lastLines(result.output)}`,
    );
  }
  return result.output.split('\n')[0] ?? '';
};
