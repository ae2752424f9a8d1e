/**
 * Prints a Tipstream-Signature header value for a request, signed with the local platform's
 * secret (or TIPSTREAM_PLATFORM_SECRET) as the platform `npm start` serves (or TIPSTREAM_PLATFORM_ID):
 *   npm run -s sign -- <METHOD> <path[?query]> ['<raw body>'] [<Idempotency-Key>]
 * e.g. npm run -s sign -- POST /v1/tips "$BODY" "$KEY";  npm run -s sign -- GET /v1/tips/<tipId>
 * The Idempotency-Key is signed: send the very same one.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readServiceFile } from '../../../shared/config/service-file.js';
import { signedHeaders } from '../../../shared/domain/request-signature.js';
import { readStackConfig } from '../stack/config.js';

const [method, pathAndQuery, rawBody = '', idempotencyKey] = process.argv.slice(2);
if (!method || !pathAndQuery?.startsWith('/')) {
  process.stderr.write(
    'usage: npm run -s sign -- <METHOD> <path[?query]> [\'<raw body>\'] [<Idempotency-Key>]   (e.g. POST /v1/tips "$BODY" "$KEY")\n',
  );
  process.exit(2);
}
const { runDir } = readStackConfig();
const platformId = process.env.TIPSTREAM_PLATFORM_ID ?? (await readServiceFile(runDir))?.platformId;
if (!platformId) {
  process.stderr.write('no local service: run "npm start" first, or set TIPSTREAM_PLATFORM_ID\n');
  process.exit(1);
}
const secret =
  process.env.TIPSTREAM_PLATFORM_SECRET ??
  (await readFile(join(runDir, 'platform-secret'), 'utf8').catch(() => {
    process.stderr.write(
      'no local platform secret: run "npm start" first, or set TIPSTREAM_PLATFORM_SECRET\n',
    );
    process.exit(1);
  }));
const headers = signedHeaders({
  secret: secret.trim(),
  platformId,
  method,
  url: pathAndQuery,
  idempotencyKey: idempotencyKey || undefined,
  body: rawBody,
});
process.stdout.write(`${headers['tipstream-signature']}\n`);
