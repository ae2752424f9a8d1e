/**
 * Errors of the API's use cases. Each says what the caller must do; the API's error mapper turns
 * them into problem responses (a domain ValidationError is an invalid request too).
 */

/** A request the use case cannot act on: fix the named fields (or the whole request) and resend. */
export class InvalidRequestError extends Error {
  override name = 'InvalidRequestError';
  constructor(
    message: string,
    readonly errors?: Array<{ field?: string; line?: number; message: string }>,
  ) {
    super(message);
  }
}

/** The platform has no tip with this id (another platform's tip is not told apart). */
export class TipNotFoundError extends Error {
  override name = 'TipNotFoundError';
}

/** The platform has no payout batch (or split) with this id. */
export class BatchNotFoundError extends Error {
  override name = 'BatchNotFoundError';
}

/** The platform has no webhook endpoint with this id (another platform's is not told apart). */
export class WebhookEndpointNotFoundError extends Error {
  override name = 'WebhookEndpointNotFoundError';
}

/** The platform has no webhook delivery with this id. */
export class WebhookDeliveryNotFoundError extends Error {
  override name = 'WebhookDeliveryNotFoundError';
}
