import { readJsonSecret } from '../adapters/secrets-manager.js';

type Env = Record<string, string | undefined>;

/** Secrets are re-read at most this often, so a rotation reaches running containers. */
const SECRET_MAX_AGE_SECONDS = 300;

/**
 * In AWS the LND connection and the keys live in Secrets Manager, never in the environment: the
 * functions get only the secrets' ARNs and read them here (Powertools parameters, cached). The
 * result is the same `TIPSTREAM_*` map the local stack passes directly.
 *   TIPSTREAM_LND_SECRET_ARN  → { socket, cert (base64), macaroon (base64) }
 *   TIPSTREAM_KEYS_SECRET_ARN → { preimageKeys: "1:<hex>,2:<hex>", preimageKeyVersion, receiptPrivateKey }
 */
const withSecrets = async (env: Env): Promise<Env> => {
  const merged: Env = { ...env };
  if (env.TIPSTREAM_LND_SECRET_ARN) {
    const lnd = await readJsonSecret<{ socket?: string; cert?: string; macaroon?: string }>(
      env.TIPSTREAM_LND_SECRET_ARN,
      SECRET_MAX_AGE_SECONDS,
    );
    merged.TIPSTREAM_LND_SOCKET = lnd?.socket;
    merged.TIPSTREAM_LND_CERT = lnd?.cert;
    merged.TIPSTREAM_LND_MACAROON = lnd?.macaroon;
  }
  if (env.TIPSTREAM_KEYS_SECRET_ARN) {
    const keys = await readJsonSecret<{
      preimageKeys?: string;
      preimageKeyVersion?: number;
      receiptPrivateKey?: string;
    }>(env.TIPSTREAM_KEYS_SECRET_ARN, SECRET_MAX_AGE_SECONDS);
    merged.TIPSTREAM_PREIMAGE_KEYS = keys?.preimageKeys;
    merged.TIPSTREAM_PREIMAGE_KEY_VERSION =
      keys?.preimageKeyVersion === undefined ? undefined : String(keys.preimageKeyVersion);
    merged.TIPSTREAM_RECEIPT_PRIVATE_KEY = keys?.receiptPrivateKey;
  }
  return merged;
};

/** The variables that come from the secrets: a change in any of them means a rotation. */
const SECRET_VARIABLES = [
  'TIPSTREAM_LND_SOCKET',
  'TIPSTREAM_LND_CERT',
  'TIPSTREAM_LND_MACAROON',
  'TIPSTREAM_PREIMAGE_KEYS',
  'TIPSTREAM_PREIMAGE_KEY_VERSION',
  'TIPSTREAM_RECEIPT_PRIVATE_KEY',
] as const;

/**
 * A handler built from the environment with its secrets, and built again when a secret's value
 * changes: each invocation asks `load` (Powertools serves it from cache, re-reading Secrets
 * Manager at most every 5 minutes), so a rotated macaroon or key reaches warm containers within
 * minutes, without a redeploy. A failed build is not kept: the next invocation tries again.
 */
export const buildOnSecretChange = <H>(
  build: (env: Env) => H,
  load: () => Promise<Env> = () => withSecrets(process.env),
) => {
  let current: { fingerprint: string; handler: H } | undefined;
  return async (): Promise<H> => {
    const env = await load();
    const fingerprint = JSON.stringify(SECRET_VARIABLES.map((name) => env[name] ?? null));
    if (current?.fingerprint !== fingerprint) current = { fingerprint, handler: build(env) };
    return current.handler;
  };
};
