import { z } from '@hono/zod-openapi';
import { PLATFORM_ID_PATTERN, TIP_ID_PATTERN } from '../../../shared/domain/ids.js';
import { PERMANENT_FAILURE_CODES } from '../../../shared/ports/errors.js';

// The values every answer is made of, each a named schema of the generated document.

export const MsatString = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/)
  .openapi('MsatString', {
    description: 'An amount in millisatoshis as a decimal string (exact).',
    examples: ['21000'],
  });

export const PositiveMsatInput = z
  .union([z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), z.string().regex(/^[1-9][0-9]*$/)])
  .openapi('PositiveMsatInput', {
    description:
      "Millisatoshis: a safe-integer JSON number or a decimal string without leading zeros. It must be at most the operator's per-tip maximum (`TIPSTREAM_MAX_TIP_SATS`, 1,000,000 sats by default) and, unless the operator allows msat payments, a multiple of 1000.",
  });

export const NodePubkey = z
  .string()
  .regex(/^0[23][0-9a-f]{64}$/)
  .openapi('NodePubkey', {
    description: 'A Lightning node id (compressed secp256k1 public key), lowercase hex.',
  });

export const NodePubkeyInput = z
  .string()
  .regex(/^0[23][0-9a-fA-F]{64}$/)
  .openapi('NodePubkeyInput', {
    description:
      'A Lightning node id, 66 hex chars (either case), `02` or `03` then a point on secp256k1.',
  });

export const LightningAddressInput = z
  .string()
  .regex(/^[^@\s]{1,64}@[^@\s]{1,260}$/)
  .openapi('LightningAddressInput', {
    description:
      'A Lightning Address (LUD-16 `name@domain`). The payer resolves it: keysend to the node its `/.well-known/keysend/<name>` details name (with their `customData` records), else the invoice its LNURL-pay server (`/.well-known/lnurlp/<name>`) issues for the exact amount.',
  });

export const TipId = z
  .string()
  .regex(TIP_ID_PATTERN)
  .openapi('TipId', { description: 'A tip id (also batch and split ids).' });

export const BatchId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}-[0-9a-f]{40}$/)
  .openapi('BatchId', {
    description: 'A batch id, `<platformId>-<40 hex chars>`, derived from the `Idempotency-Key`.',
  });

export const PlatformId = z.string().regex(PLATFORM_ID_PATTERN).openapi('PlatformId');

export const Timestamp = z.string().openapi('Timestamp', { format: 'date-time' });

export const Hex32 = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .openapi('Hex32');

export const StatusUrl = z
  .string()
  .regex(/^\/v1\//)
  .openapi('StatusUrl', {
    description: 'The status path of what was accepted (relative to the server).',
    format: 'uri-reference',
  });

export const TipState = z
  .enum(['ACCEPTED', 'RECEIVED', 'SENDING', 'SUCCEEDED', 'FAILED'])
  .openapi('TipState', {
    description:
      '`ACCEPTED`: enqueued, not yet seen by the payer; `RECEIVED`: recorded by the payer; `SENDING`: being paid; `SUCCEEDED` and `FAILED` are final.',
  });

const FailureCode = z.enum(PERMANENT_FAILURE_CODES).openapi('FailureCode');

export const Failure = z.strictObject({ code: FailureCode, reason: z.string() });
