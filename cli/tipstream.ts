/**
 * The tipstream CLI: `npx tipstream …`, `npm run tipstream -- …` (see `tipstream --help` and
 * the README section "The tipstream CLI").
 */
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
// Exit explicitly: SDK clients and keep-alive sockets must not hold a finished command open.
process.exit(code);
