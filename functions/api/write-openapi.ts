import { readFile, writeFile } from 'node:fs/promises';
import { openApiDocument } from './openapi.js';

/**
 * Writes the API's OpenAPI document to `openapi.json` (`npm run openapi`), generated from the
 * routes' zod schemas; `--check` only says whether the checked-in file is current.
 */
const FILE = new URL('../../openapi.json', import.meta.url);

/** The document as the file holds it: two-space JSON with a final newline. */
export const openApiFileText = () => `${JSON.stringify(openApiDocument(), null, 2)}\n`;

const main = async () => {
  const text = openApiFileText();
  if (process.argv.includes('--check')) {
    const current = await readFile(FILE, 'utf8').catch(() => '');
    if (current !== text) {
      console.error('openapi.json is not the generated document: run `npm run openapi`');
      process.exitCode = 1;
      return;
    }
    console.log('openapi.json is current');
    return;
  }
  await writeFile(FILE, text);
  console.log(`wrote openapi.json (${Object.keys(openApiDocument().paths ?? {}).length} paths)`);
};

if (import.meta.url === `file://${process.argv[1]}`) await main();
