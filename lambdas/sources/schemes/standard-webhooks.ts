import type { Verification, WebhookRequest } from '../source.js';
import { constantTimeEqual, hmac, withinTolerance } from './hmac.js';

/**
 * Standard Webhooks v1 (standardwebhooks.com): HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with
 * the base64-decoded bytes after `whsec_`, sent as space-separated `v1,<base64>` signatures so a sender can sign with
 * an old and a new secret during rotation.
 */
export const STANDARD_WEBHOOKS_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

export const STANDARD_WEBHOOKS_TOLERANCE_SECONDS = 5 * 60;

export function decodeStandardWebhooksSecret(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  return Buffer.from(encoded, 'base64');
}

export function verifyStandardWebhooks(
  request: WebhookRequest,
  secrets: readonly string[],
  toleranceSeconds = STANDARD_WEBHOOKS_TOLERANCE_SECONDS,
): Verification {
  const id = request.headers['webhook-id'];
  const timestamp = request.headers['webhook-timestamp'];
  const signatureHeader = request.headers['webhook-signature'];
  if (!id || !timestamp || !signatureHeader) {
    return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature header' };
  }
  if (!/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'webhook-timestamp is not a Unix time in seconds' };
  if (!withinTolerance(Number(timestamp), request.receivedAt, toleranceSeconds)) {
    return {
      ok: false,
      reason: `webhook-timestamp is more than ${toleranceSeconds} seconds from the server's time`,
    };
  }
  const offered = signatureHeader
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => Buffer.from(part.slice(3), 'base64'));
  if (offered.length === 0) return { ok: false, reason: 'webhook-signature has no v1 signature' };
  for (const secret of secrets) {
    const expected = hmac(
      'sha256',
      decodeStandardWebhooksSecret(secret),
      `${id}.${timestamp}.`,
      request.rawBody,
    );
    // Check every offered signature against every secret: any one match authenticates (rotation on both sides).
    if (offered.some((signature) => constantTimeEqual(signature, expected)))
      return { ok: true, deliveryId: id };
  }
  return { ok: false, reason: 'no webhook-signature matches the configured secret' };
}
