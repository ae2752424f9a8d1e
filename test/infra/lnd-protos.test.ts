import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuthenticatedLnd, authenticatedLndGrpc } from 'lightning';
import { afterAll, describe, expect, it } from 'vitest';
import { stripProtoComments } from '../../infra/constructs/lnd-protos.js';

const PROTOS = join(import.meta.dirname, '..', '..', 'node_modules', 'lightning', 'grpc', 'protos');

/** Every method of every service of a client set: its path and message descriptors. */
const services = (lnd: AuthenticatedLnd) =>
  Object.fromEntries(
    Object.entries(lnd).map(([name, client]) => {
      const definition = (client as { constructor: { service: Record<string, unknown> } })
        .constructor.service;
      return [
        name,
        JSON.stringify(definition, (key, value) =>
          key === 'fileDescriptorProtos' ? undefined : value,
        ),
      ];
    }),
  );

describe("lightning's protos without comments (the Lambda assets' copy)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'lnd-protos-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('describe exactly the same services, methods and messages, at a fraction of the size', () => {
    let before = 0;
    let after = 0;
    for (const name of readdirSync(PROTOS)) {
      const source = readFileSync(join(PROTOS, name), 'utf8');
      const stripped = stripProtoComments(source);
      writeFileSync(join(dir, name), stripped);
      before += source.length;
      after += stripped.length;
    }
    const credentials = { socket: '127.0.0.1:1', macaroon: '00' };
    const original = services(authenticatedLndGrpc(credentials).lnd);
    const copied = services(authenticatedLndGrpc({ ...credentials, path: dir }).lnd);
    expect(Object.keys(copied).sort()).toEqual(Object.keys(original).sort());
    for (const [name, definition] of Object.entries(original)) {
      expect(copied[name], name).toBe(definition);
    }
    expect(after).toBeLessThan(before / 3);
  });

  it.each([
    {
      source: '// a\nmessage A { // b\n  string x = 1; /* c */ }\n',
      want: 'message A {\nstring x = 1;   }\n',
    },
    { source: 'option go_package = "a//b/*c*/";\n', want: 'option go_package = "a//b/*c*/";\n' },
    { source: "option x = 'it\\'s // here';\n", want: "option x = 'it\\'s // here';\n" },
    { source: 'message/* split */B {}\n/* open', want: 'message B {}\n' },
  ])('strips $source', ({ source, want }) => {
    expect(stripProtoComments(source)).toBe(want);
  });
});
