#!/usr/bin/env node
// Launcher of the tipstream CLI (package.json "bin"): runs cli/tipstream.ts through tsx's loader
// in this process. The project runs on the Node 24 it installs (node_modules/.bin/node); an
// older `node` on the PATH re-runs this file with that one.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const projectNode = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));
const major = Number(process.versions.node.split('.')[0]);
if (major < 24 && existsSync(projectNode) && !process.env.TIPSTREAM_CLI_REEXEC) {
  const child = spawn(projectNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, TIPSTREAM_CLI_REEXEC: '1' },
  });
  // A terminal sends Ctrl-C to the child itself (same process group); a signal sent to this
  // process alone (a script, a test) is passed on.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (!process.stdin.isTTY) child.kill(signal);
    });
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./tipstream.ts');
}
