import { describe, expect, it } from 'vitest';
import { buildOnSecretChange } from '../../../shared/config/secrets-loader.js';

type Env = Record<string, string | undefined>;

/** A loader that returns whatever the "secret store" holds now, as Powertools would after expiry. */
const store = (initial: Env) => {
  let current = initial;
  return {
    load: async () => ({ ...current, TIPSTREAM_TIPS_TABLE: 'tips' }),
    put: (next: Env) => {
      current = next;
    },
  };
};

describe('buildOnSecretChange', () => {
  it('builds once while the secrets stay the same', async () => {
    const secrets = store({ TIPSTREAM_LND_MACAROON: 'm1', TIPSTREAM_PREIMAGE_KEYS: '1:aa' });
    const builds: Env[] = [];
    const current = buildOnSecretChange((env) => builds.push(env), secrets.load);
    await current();
    await current();
    await current();
    expect(builds).toHaveLength(1);
  });

  it.each([
    ['a rotated macaroon', { TIPSTREAM_LND_MACAROON: 'm2', TIPSTREAM_PREIMAGE_KEYS: '1:aa' }],
    [
      'a new preimage key version',
      { TIPSTREAM_LND_MACAROON: 'm1', TIPSTREAM_PREIMAGE_KEYS: '1:aa,2:bb' },
    ],
    [
      'a new receipt key',
      {
        TIPSTREAM_LND_MACAROON: 'm1',
        TIPSTREAM_PREIMAGE_KEYS: '1:aa',
        TIPSTREAM_RECEIPT_PRIVATE_KEY: 'cc',
      },
    ],
  ])('builds again with %s, from the new values', async (_what, rotated) => {
    const secrets = store({ TIPSTREAM_LND_MACAROON: 'm1', TIPSTREAM_PREIMAGE_KEYS: '1:aa' });
    const builds: Env[] = [];
    const current = buildOnSecretChange((env) => {
      builds.push(env);
      return builds.length;
    }, secrets.load);
    expect(await current()).toBe(1);
    secrets.put(rotated);
    expect(await current()).toBe(2);
    expect(builds[1]).toMatchObject(rotated);
    expect(await current()).toBe(2);
  });

  it('does not keep a failed build: the next invocation tries again', async () => {
    const secrets = store({ TIPSTREAM_LND_MACAROON: undefined });
    const current = buildOnSecretChange((env) => {
      if (!env.TIPSTREAM_LND_MACAROON) throw new Error('LND connection incomplete');
      return 'ready';
    }, secrets.load);
    await expect(current()).rejects.toThrow('LND connection incomplete');
    secrets.put({ TIPSTREAM_LND_MACAROON: 'm1' });
    expect(await current()).toBe('ready');
  });
});
