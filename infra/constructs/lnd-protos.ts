/**
 * `lightning`'s `.proto` files for a Lambda asset, without their comments: LND documents every
 * field in its protos, and the comments are half their size (parsing never reads them). Run by
 * the bundling of the payer and reconciler (tipstream-function.ts), with the Node that runs the
 * CDK app (24: it runs TypeScript as is):
 *   node infra/constructs/lnd-protos.ts <lightning's protos folder> <the asset's folder for them>
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A `.proto` source without `//` and `/* *\/` comments, blank lines and indentation; string
 * literals (options, defaults) are kept as they are, even when they hold `//`.
 */
export const stripProtoComments = (source: string): string => {
  let out = '';
  let index = 0;
  while (index < source.length) {
    const char = source[index] as string;
    const next = source[index + 1];
    if (char === '"' || char === "'") {
      let end = index + 1;
      while (end < source.length && source[end] !== char) end += source[end] === '\\' ? 2 : 1;
      out += source.slice(index, end + 1);
      index = end + 1;
    } else if (char === '/' && next === '/') {
      const end = source.indexOf('\n', index);
      index = end < 0 ? source.length : end;
    } else if (char === '/' && next === '*') {
      const end = source.indexOf('*/', index + 2);
      // A comment's place still separates the tokens on either side of it.
      out += ' ';
      index = end < 0 ? source.length : end + 2;
    } else {
      out += char;
      index += 1;
    }
  }
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('\n')
    .concat('\n');
};

/** Every `.proto` of `from`, stripped, into `to`. */
const copyLndProtos = (from: string, to: string) => {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from).filter((file) => file.endsWith('.proto'))) {
    writeFileSync(join(to, name), stripProtoComments(readFileSync(join(from, name), 'utf8')));
  }
};

if (import.meta.main) {
  const [from, to] = process.argv.slice(2);
  if (!from || !to) {
    process.stderr.write('usage: node infra/constructs/lnd-protos.ts <from> <to>\n');
    process.exit(2);
  }
  copyLndProtos(from, to);
}
