/**
 * Errors of the pure domain layer. Every message says what to fix, because it reaches the
 * platform or operator that sent the input, not only a log.
 */

/** Input that breaks a domain rule; `field` names the offending input (dotted path). */
export class ValidationError extends Error {
  override name: string = 'ValidationError';
  readonly field: string;

  constructor(field: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.field = field;
  }
}

/** An amount above the operator's per-tip maximum: a budget answer (the API's 422 per-tip). */
export class AmountAboveMaximumError extends ValidationError {
  override name = 'AmountAboveMaximumError';
}

/** A tip request (queue message) that cannot be paid as sent. */
export class TipValidationError extends ValidationError {
  override name = 'TipValidationError';
}

/** Bytes of the wrong length for a crypto primitive (keys, preimages, hashes). */
export class ByteLengthError extends ValidationError {
  override name = 'ByteLengthError';
  readonly expected: string;
  /** Length received, or what was received instead of bytes. */
  readonly actual: number | string;

  constructor(field: string, expected: string, actual: number | string) {
    const got = typeof actual === 'number' ? `${actual} bytes` : actual;
    super(field, `${field} must be ${expected}, got ${got}`);
    this.expected = expected;
    this.actual = actual;
  }
}

/** A receipt that cannot be signed as given (malformed, or the key is not its operator's). */
export class ReceiptError extends Error {
  override name = 'ReceiptError';
}

/** A webhook endpoint URL Tipstream will not deliver to (the field is `url`). */
export class WebhookUrlError extends ValidationError {
  override name = 'WebhookUrlError';

  constructor(message: string, options?: ErrorOptions) {
    super('url', message, options);
  }
}
