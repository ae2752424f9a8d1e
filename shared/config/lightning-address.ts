import * as z from 'zod';
import { DEFAULT_FETCH_POLICY } from '../adapters/http/guarded-fetch.js';
import {
  createLightningAddressResolver,
  DEFAULT_RESOLVER_CACHE_TTL_MS,
} from '../adapters/http/lightning-address-resolver.js';
import type { AddressResolver } from '../ports/address-resolver.js';

const EnvSchema = z.object({
  // `host:port` entries that may be private or loopback and served over plain http: the local
  // stack's and tests' Lightning Address servers. Empty in production.
  TIPSTREAM_LNADDR_ALLOW_HOSTS: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((host) => host.trim().toLowerCase())
        .filter(Boolean),
    ),
  TIPSTREAM_LNADDR_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(DEFAULT_FETCH_POLICY.timeoutMs),
  TIPSTREAM_LNADDR_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .default(DEFAULT_FETCH_POLICY.maxBytes),
  TIPSTREAM_LNADDR_CACHE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_RESOLVER_CACHE_TTL_MS / 1000),
});

/** The payer's Lightning Address resolver, from `TIPSTREAM_LNADDR_*` variables. */
export const createAddressResolverFromEnv = (
  env: Record<string, string | undefined> = process.env,
): AddressResolver => {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${issue?.path.join('.')} is invalid: ${issue?.message} (see README, "Lightning Addresses")`,
    );
  }
  const e = parsed.data;
  return createLightningAddressResolver({
    fetch: {
      ...DEFAULT_FETCH_POLICY,
      allowHosts: e.TIPSTREAM_LNADDR_ALLOW_HOSTS,
      timeoutMs: e.TIPSTREAM_LNADDR_TIMEOUT_MS,
      maxBytes: e.TIPSTREAM_LNADDR_MAX_BYTES,
    },
    cacheTtlMs: e.TIPSTREAM_LNADDR_CACHE_SECONDS * 1000,
  });
};
