/**
 * Prints a Tipstream-Signature header value for a request, signed with the local platform's
 * secret (or TIPSTREAM_PLATFORM_SECRET):  npm run -s sign -- <METHOD> <path[?query]> '<raw body>'
 * e.g. npm run -s sign -- POST /v1/tips "$BODY";  npm run -s sign -- GET /v1/tips/<tipId>
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signedTarget, signRequest } from '../../shared/domain/request-signature.js';
import { readStackConfig } from './config.js';

const [method, pathAndQuery, rawBody = ''] = process.argv.slice(2);
if (!method || !pathAndQuery?.startsWith('/')) {
  process.stderr.write(
    'usage: npm run -s sign -- <METHOD> <path[?query]> \'<raw body>\'   (e.g. POST /v1/tips "$BODY")\n',
  );
  process.exit(2);
}
const url = new URL(pathAndQuery, 'http://tipstream.invalid');
const secret =
  process.env.TIPSTREAM_PLATFORM_SECRET ??
  (await readFile(join(readStackConfig().runDir, 'platform-secret'), 'utf8').catch(() => {
    process.stderr.write(
      'no local platform secret: run "npm start" first, or set TIPSTREAM_PLATFORM_SECRET\n',
    );
    process.exit(1);
  }));
process.stdout.write(
  `${signRequest({
    secret: secret.trim(),
    timestamp: Math.floor(Date.now() / 1000),
    method,
    target: signedTarget(url.pathname, url.search),
    rawBody,
  })}\n`,
);
