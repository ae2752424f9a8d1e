import type { PlatformId, TipId } from './brands.js';
import { ValidationError } from './errors.js';

// Ids become DynamoDB keys and the HMAC input of the preimage: a small, printable charset keeps
// them unambiguous (no whitespace, no Unicode normalisation surprises).
/** Pattern of a tip id (and other idempotency keys such as batch and split ids). */
export const TIP_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,255}$/;
/** Pattern of a platform id. */
export const PLATFORM_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Describes the tip id charset, for error messages. */
export const TIP_ID_RULE = '1 to 255 characters of A-Z a-z 0-9 . _ : @ -';
/** Describes the platform id charset, for error messages. */
export const PLATFORM_ID_RULE = '1 to 64 characters of A-Z a-z 0-9 . _ -';

/** Parses a tip id: the idempotency key of one tip. */
export const parseTipId = (raw: unknown, field = 'tipId'): TipId => {
  if (typeof raw !== 'string' || !TIP_ID_PATTERN.test(raw)) {
    throw new ValidationError(field, `${field} must be ${TIP_ID_RULE} (it is the idempotency key)`);
  }
  return raw as TipId;
};

/** Parses a platform id. */
export const parsePlatformId = (raw: unknown, field = 'platformId'): PlatformId => {
  if (typeof raw !== 'string' || !PLATFORM_ID_PATTERN.test(raw)) {
    throw new ValidationError(field, `${field} must be ${PLATFORM_ID_RULE}`);
  }
  return raw as PlatformId;
};
