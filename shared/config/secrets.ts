import { readFileSync } from 'node:fs';
import { createReceiptSigner } from '../adapters/crypto/receipt-signer.js';
import type { PayerKeys } from '../ports/payer-keys.js';

class SecretsConfigError extends Error {
  override name = 'SecretsConfigError';
}

/** How to reach the operator's LND: socket plus TLS cert and macaroon (base64). */
export interface LndCredentials {
  socket: string;
  cert: string;
  macaroon: string;
}

type Env = Record<string, string | undefined>;

const fileOrValue = (env: Env, base: string): string | undefined => {
  const path = env[`${base}_PATH`];
  if (path) {
    try {
      return readFileSync(path).toString('base64');
    } catch (error) {
      throw new SecretsConfigError(`${base}_PATH points to ${path}, which cannot be read`, {
        cause: error,
      });
    }
  }
  return env[base] || undefined;
};

/**
 * LND credentials from `TIPSTREAM_LND_SOCKET` and `TIPSTREAM_LND_CERT[_PATH]`,
 * `TIPSTREAM_LND_MACAROON[_PATH]` (a file path, or the base64 value itself).
 */
export const readLndCredentials = (env: Env = process.env): LndCredentials => {
  const socket = env.TIPSTREAM_LND_SOCKET;
  const cert = fileOrValue(env, 'TIPSTREAM_LND_CERT');
  const macaroon = fileOrValue(env, 'TIPSTREAM_LND_MACAROON');
  const missing = [
    socket ? undefined : 'TIPSTREAM_LND_SOCKET',
    cert ? undefined : 'TIPSTREAM_LND_CERT or TIPSTREAM_LND_CERT_PATH',
    macaroon ? undefined : 'TIPSTREAM_LND_MACAROON or TIPSTREAM_LND_MACAROON_PATH',
  ].filter(Boolean);
  if (missing.length > 0)
    throw new SecretsConfigError(`LND connection incomplete: set ${missing.join(', ')}`);
  return { socket: socket as string, cert: cert as string, macaroon: macaroon as string };
};

const hexKey = (value: string, what: string): Uint8Array => {
  if (!/^[0-9a-f]{64,}$/i.test(value) || value.length % 2 !== 0) {
    throw new SecretsConfigError(`${what} must be at least 32 bytes as hex (64+ hex characters)`);
  }
  return new Uint8Array(Buffer.from(value, 'hex'));
};

/**
 * Preimage and receipt keys from `TIPSTREAM_PREIMAGE_KEYS` ("1:hex,2:hex": every version still
 * needed for retries), `TIPSTREAM_PREIMAGE_KEY_VERSION` (the one new tips use) and
 * `TIPSTREAM_RECEIPT_PRIVATE_KEY` (hex, 32 bytes).
 */
export const readPayerKeys = (env: Env = process.env): PayerKeys => {
  const entries = (env.TIPSTREAM_PREIMAGE_KEYS ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry): [number, Uint8Array] => {
      const [version, key = ''] = entry.split(':');
      const number = Number(version);
      if (!Number.isInteger(number) || number < 1) {
        throw new SecretsConfigError(
          `TIPSTREAM_PREIMAGE_KEYS: "${version}" is not a key version (write "1:hex,2:hex")`,
        );
      }
      return [number, hexKey(key, `TIPSTREAM_PREIMAGE_KEYS version ${number}`)];
    });
  if (entries.length === 0)
    throw new SecretsConfigError('TIPSTREAM_PREIMAGE_KEYS is not set (write "1:<64 hex>")');
  const keys = new Map(entries);
  const current = Number(env.TIPSTREAM_PREIMAGE_KEY_VERSION ?? Math.max(...keys.keys()));
  if (!keys.has(current)) {
    throw new SecretsConfigError(
      `TIPSTREAM_PREIMAGE_KEY_VERSION ${current} is not among TIPSTREAM_PREIMAGE_KEYS`,
    );
  }
  const receipt = env.TIPSTREAM_RECEIPT_PRIVATE_KEY;
  if (!receipt)
    throw new SecretsConfigError('TIPSTREAM_RECEIPT_PRIVATE_KEY is not set (32 bytes as hex)');
  const receiptPrivateKey = hexKey(receipt, 'TIPSTREAM_RECEIPT_PRIVATE_KEY');
  if (receiptPrivateKey.length !== 32) {
    throw new SecretsConfigError('TIPSTREAM_RECEIPT_PRIVATE_KEY must be exactly 32 bytes as hex');
  }
  return {
    currentPreimageKeyVersion: current,
    preimageKey(version) {
      const key = keys.get(version);
      if (!key)
        throw new SecretsConfigError(
          `preimage key version ${version} is no longer configured; keep old versions in TIPSTREAM_PREIMAGE_KEYS while their tips can be retried`,
        );
      return key;
    },
    receiptSigner: createReceiptSigner(receiptPrivateKey),
  };
};
