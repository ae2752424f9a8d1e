import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium: the browser tests drive it through playwright-core (no browser download). */
const CHROMIUM_PATH = '/usr/bin/chromium';

/** Screenshots and timings of the browser tests (git-ignored). */
export const ARTIFACTS_DIR = join(import.meta.dirname, '../../test-artifacts/web');

const log = (line: string) => process.stderr.write(`[chromium] ${line}\n`);

/** Runs a command, streaming its output with a prefix so a long install shows progress. */
const run = (command: string, args: string[]) =>
  new Promise<{ code: number; output: string }>((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const relay = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-8_000);
      for (const line of text.split('\n')) if (line.trim()) log(line.trimEnd());
    };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });

/**
 * Installs Debian's `chromium` package when /usr/bin/chromium is missing (as root, with apt-get;
 * a fresh CI machine gets it on its first run), and says what to do when it cannot.
 */
const ensureChromium = async (): Promise<string> => {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const cannot = (why: string) =>
    new Error(
      `the browser tests need Chromium at ${CHROMIUM_PATH} and could not install it: ${why}. Install it yourself (as root: apt-get install -y chromium) and run the tests again`,
    );
  if (process.getuid?.() !== 0) throw cannot('installing needs root (apt-get)');
  if (!existsSync('/usr/bin/apt-get')) throw cannot('apt-get not found (not Debian/Ubuntu)');
  log(`${CHROMIUM_PATH} not found: installing Debian's chromium package (first run only)…`);
  const started = Date.now();
  // Wait for another apt run (unattended upgrades) rather than failing on its lock.
  const install = ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends'];
  let result = await run('apt-get', [...install, 'chromium']);
  if (result.code !== 0) {
    log('install failed; refreshing the package lists (apt-get update) and trying again…');
    const update = await run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update']);
    if (update.code !== 0) throw cannot(`apt-get update failed:\n${update.output.slice(-2_000)}`);
    result = await run('apt-get', [...install, 'chromium']);
  }
  if (result.code !== 0 || !existsSync(CHROMIUM_PATH)) {
    throw cannot(`apt-get install chromium failed:\n${result.output.slice(-2_000)}`);
  }
  log(`installed in ${Math.round((Date.now() - started) / 1000)} s`);
  return CHROMIUM_PATH;
};

/**
 * Launches headless Chromium with a fresh profile (Playwright takes the profile directory itself:
 * it refuses --user-data-dir in the arguments). Background networking, component updates and sync
 * stay off: on a machine without internet access they fail and disturb the pages under test.
 */
export const launchChromium = async (): Promise<{
  context: BrowserContext;
  close(): Promise<void>;
}> => {
  const executablePath = await ensureChromium();
  const profile = await mkdtemp(join(tmpdir(), 'tipstream-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
};
