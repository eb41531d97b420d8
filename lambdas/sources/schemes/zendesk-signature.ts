import type { Verification, WebhookRequest } from '../source.js';
import { constantTimeEqual, hmac, withinTolerance } from './hmac.js';

/**
 * Zendesk webhooks (developer.zendesk.com/documentation/webhooks/verifying): base64 HMAC-SHA256 over the signature
 * timestamp header, exactly as sent (RFC 3339 text, not epoch seconds), immediately followed by the raw body, keyed
 * with the webhook's signing secret used verbatim. The secret looks like base64 but is not decoded: the published
 * test vector only reproduces with the literal string.
 */
export const ZENDESK_SIGNATURE_HEADER = 'x-zendesk-webhook-signature';
export const ZENDESK_TIMESTAMP_HEADER = 'x-zendesk-webhook-signature-timestamp';

/** Zendesk prescribes no replay window; cs-pulse rejects a timestamp more than 5 minutes away, in either direction. */
export const ZENDESK_TOLERANCE_SECONDS = 5 * 60;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export function verifyZendeskSignature(
  request: WebhookRequest,
  secrets: readonly string[],
  toleranceSeconds = ZENDESK_TOLERANCE_SECONDS,
): Verification {
  const signature = request.headers[ZENDESK_SIGNATURE_HEADER];
  const timestamp = request.headers[ZENDESK_TIMESTAMP_HEADER];
  if (!signature || !timestamp) {
    return { ok: false, reason: `missing ${ZENDESK_SIGNATURE_HEADER} or ${ZENDESK_TIMESTAMP_HEADER} header` };
  }
  if (!RFC3339.test(timestamp)) {
    return { ok: false, reason: `${ZENDESK_TIMESTAMP_HEADER} is not an RFC 3339 date-time` };
  }
  if (!withinTolerance(Date.parse(timestamp) / 1000, request.receivedAt, toleranceSeconds)) {
    return {
      ok: false,
      reason: `${ZENDESK_TIMESTAMP_HEADER} is more than ${toleranceSeconds} seconds from the server's time`,
    };
  }
  const offered = Buffer.from(signature.trim(), 'utf8');
  for (const secret of secrets) {
    const expected = Buffer.from(
      hmac('sha256', secret, timestamp, request.rawBody).toString('base64'),
      'utf8',
    );
    if (constantTimeEqual(offered, expected)) return { ok: true };
  }
  return { ok: false, reason: `${ZENDESK_SIGNATURE_HEADER} does not match the configured secret` };
}
