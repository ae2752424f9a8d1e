/**
 * Prints a Tipstream-Signature header value for a request body, signed with the local platform's
 * secret (or TIPSTREAM_PLATFORM_SECRET):  npm run -s sign -- '<raw body>'
 * (GET requests have an empty body: npm run -s sign -- '')
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signRequest } from '../../shared/domain/request-signature.js';
import { readStackConfig } from './config.js';

const rawBody = process.argv[2] ?? '';
const secret =
  process.env.TIPSTREAM_PLATFORM_SECRET ??
  (await readFile(join(readStackConfig().runDir, 'platform-secret'), 'utf8').catch(() => {
    process.stderr.write(
      'no local platform secret: run "npm start" first, or set TIPSTREAM_PLATFORM_SECRET\n',
    );
    process.exit(1);
  }));
process.stdout.write(
  `${signRequest({ secret: secret.trim(), timestamp: Math.floor(Date.now() / 1000), rawBody })}\n`,
);
