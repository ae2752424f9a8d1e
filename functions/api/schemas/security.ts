import {
  DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  PLATFORM_HEADER,
  SIGNATURE_HEADER,
} from '../../../shared/domain/request-signature.js';

const SIGNATURE = `\`${SIGNATURE_HEADER}: t=<unix seconds>,v2=<64 lowercase hex HMAC-SHA256(secret, signed string)>\` (signature scheme v2).

* **One spelling.** The header is exactly \`t=\`, the signing time in whole unix seconds (digits, no leading zeros), one comma, \`v2=\` and 64 lowercase hex chars: no spaces, no other order, no repeated or unknown elements. Anything else is \`401 malformed-signature\` with what is wrong; a \`v1=\` header is refused and told to use v2.
* **Signed string.** HMAC-SHA256 keyed with the platform secret (its UTF-8 bytes) over seven fields, each written as \`<length in UTF-8 bytes>:<value>\` followed by a newline (\`\\n\`), in this order: the label \`tipstream-request-v2\`; the platform id (the \`${PLATFORM_HEADER}\` header); the timestamp as in \`t=\`; the HTTP method in upper case; the target: the percent-decoded URL path from \`/v1/\` on (\`%2F\`, \`%3F\`, \`%23\` and \`%25\` stay escaped, upper-case) followed by \`?\` and the raw query string when there is one (exactly as sent, e.g. \`/v1/tips?limit=20\`; a base path in front of \`/v1/\` is not signed); the \`Idempotency-Key\` header as sent (empty when there is none, e.g. every \`GET\`); the raw body exactly as sent (empty for a request without a body). The length prefixes make the split unambiguous: no two requests share a signed string.
* Test vector: secret \`tss_example_secret\`, platform \`streamco\`, \`t=1767225600\`, \`POST\`, \`/v1/tips\`, key \`order-42\`, body \`{"recipientPubkey":"02ab","amountMsat":21000}\`: the signed string is \`20:tipstream-request-v2\\n8:streamco\\n10:1767225600\\n4:POST\\n8:/v1/tips\\n8:order-42\\n45:{"recipientPubkey":"02ab","amountMsat":21000}\\n\` and the header \`t=1767225600,v2=5e61677e45f68d3b85e751d72d3f1c835c344d5f08c768234066ccfdb2e9402c\`.
* The timestamp must be within **${DEFAULT_SIGNATURE_TOLERANCE_SECONDS} seconds** of the server clock, past or future (\`401 stale-timestamp\`).
* While a replaced secret is in its grace period (24 hours unless the operator chose otherwise) a platform has two active secrets: either verifies. A revoked or expired secret verifies nothing.
* The signature covers the platform, method, route with its query, \`Idempotency-Key\` and body: a captured request cannot be sent to another route, resource or page, nor as a new write under another \`Idempotency-Key\` (\`401 bad-signature\`); sent again with its own key it is the same request, answered by idempotency. A write's verified MAC is recorded for 10 minutes (keyed on the MAC, never the header text); the same MAC with another key would be \`401 replayed-request\`, which the signed key makes impossible.
* An unknown platform is answered exactly as a wrong signature (\`401 bad-signature\`, the same detail), so platform ids cannot be probed without a secret.
* Failures are \`401\` problems of type \`missing-platform\`, \`missing-signature\`, \`malformed-signature\`, \`bad-signature\`, \`stale-timestamp\` or \`replayed-request\`. A signature is checked before its timestamp.`;

/** How a request is authenticated: both headers on every request (see README, "Signing"). */
export const SECURITY_SCHEMES = {
  platform: {
    type: 'apiKey' as const,
    in: 'header' as const,
    name: PLATFORM_HEADER,
    description:
      'The platform id the operator registered (e.g. with `npm run platform`). Used together with `signature`: both headers are required on every request.',
  },
  signature: {
    type: 'apiKey' as const,
    in: 'header' as const,
    name: SIGNATURE_HEADER,
    description: SIGNATURE,
  },
};
