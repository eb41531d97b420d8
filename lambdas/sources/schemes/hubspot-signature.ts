import { createHash } from 'node:crypto';
import type { Verification, WebhookRequest } from '../source.js';
import { constantTimeEqual, hmac, withinTolerance } from './hmac.js';

/**
 * HubSpot's request signatures (developers.hubspot.com, "Validating requests"; algorithms as in the official
 * @hubspot/api-client `src/utils/signature.ts`):
 *
 * - v3 `X-HubSpot-Signature-v3`: base64 HMAC-SHA256, keyed with the app's client secret, over
 *   `method + uri + body + timestamp`, where the timestamp is `X-HubSpot-Request-Timestamp` in Unix milliseconds.
 * - v1 `X-HubSpot-Signature` with `X-HubSpot-Signature-Version: v1`: hex SHA-256 (a plain hash, no HMAC) of
 *   `clientSecret + body`.
 * - v2, same headers with version `v2`: hex SHA-256 of `clientSecret + method + uri + body`.
 *
 * HubSpot sends the legacy header beside v3 for backwards compatibility. When v3 is present only v3 decides, so its
 * replay window cannot be sidestepped by a replayed legacy signature; v1/v2 alone are accepted for older apps.
 */
export const HUBSPOT_SIGNATURE_V3_HEADER = 'x-hubspot-signature-v3';
export const HUBSPOT_TIMESTAMP_HEADER = 'x-hubspot-request-timestamp';
export const HUBSPOT_LEGACY_SIGNATURE_HEADER = 'x-hubspot-signature';
export const HUBSPOT_SIGNATURE_VERSION_HEADER = 'x-hubspot-signature-version';

/** HubSpot's documented replay window for v3, applied both ways so a far-future timestamp is no loophole. */
export const HUBSPOT_TOLERANCE_SECONDS = 5 * 60;

/**
 * The percent-escapes HubSpot decodes in the request URI before it signs v3 (the table in its "Validating
 * requests" page). Every other escape stays as sent. The official Node SDK does not decode, so this is here.
 */
const V3_DECODED_ESCAPES: Readonly<Record<string, string>> = {
  '3A': ':',
  '2F': '/',
  '3F': '?',
  '40': '@',
  '21': '!',
  '24': '$',
  '27': "'",
  '28': '(',
  '29': ')',
  '2A': '*',
  '2C': ',',
  '3B': ';',
};

/** The URI as HubSpot signs it for v3: the request URL with the escapes above decoded (hex digits in any case). */
export function hubspotV3SignedUri(url: string): string {
  return url.replace(
    /%([0-9A-Fa-f]{2})/g,
    (sequence, hex: string) => V3_DECODED_ESCAPES[hex.toUpperCase()] ?? sequence,
  );
}

export function verifyHubSpotSignature(request: WebhookRequest, secrets: readonly string[]): Verification {
  const v3 = request.headers[HUBSPOT_SIGNATURE_V3_HEADER];
  if (v3 !== undefined) return verifyV3(request, v3, secrets);
  const legacy = request.headers[HUBSPOT_LEGACY_SIGNATURE_HEADER];
  if (legacy !== undefined) return verifyLegacy(request, legacy, secrets);
  return { ok: false, reason: 'missing X-HubSpot-Signature-v3 (or a legacy X-HubSpot-Signature) header' };
}

function verifyV3(request: WebhookRequest, signature: string, secrets: readonly string[]): Verification {
  const timestamp = request.headers[HUBSPOT_TIMESTAMP_HEADER];
  if (!timestamp)
    return { ok: false, reason: 'X-HubSpot-Signature-v3 comes without X-HubSpot-Request-Timestamp' };
  if (!/^\d{1,15}$/.test(timestamp)) {
    return { ok: false, reason: 'X-HubSpot-Request-Timestamp is not a Unix time in milliseconds' };
  }
  if (!withinTolerance(Number(timestamp) / 1000, request.receivedAt, HUBSPOT_TOLERANCE_SECONDS)) {
    return {
      ok: false,
      reason: `X-HubSpot-Request-Timestamp is more than ${HUBSPOT_TOLERANCE_SECONDS} seconds from the server's time`,
    };
  }
  const uri = hubspotV3SignedUri(request.url);
  const offered = Buffer.from(signature.trim(), 'utf8');
  for (const secret of secrets) {
    const expected = hmac('sha256', secret, request.method, uri, request.rawBody, timestamp).toString(
      'base64',
    );
    if (constantTimeEqual(offered, Buffer.from(expected, 'utf8'))) return { ok: true };
  }
  return { ok: false, reason: 'X-HubSpot-Signature-v3 does not match the configured client secret' };
}

function verifyLegacy(request: WebhookRequest, signature: string, secrets: readonly string[]): Verification {
  const version = request.headers[HUBSPOT_SIGNATURE_VERSION_HEADER]?.trim().toLowerCase();
  if (version !== 'v1' && version !== 'v2') {
    return {
      ok: false,
      reason: 'X-HubSpot-Signature-Version must be v1 or v2 (or send X-HubSpot-Signature-v3)',
    };
  }
  const offered = Buffer.from(signature.trim().toLowerCase(), 'utf8');
  for (const secret of secrets) {
    // v2 signs the URI exactly as requested (HubSpot: "must exactly match the original request"); no decoding.
    const parts =
      version === 'v1' ? [secret, request.rawBody] : [secret, request.method, request.url, request.rawBody];
    if (constantTimeEqual(offered, Buffer.from(sha256Hex(...parts), 'utf8'))) return { ok: true };
  }
  return {
    ok: false,
    reason: `X-HubSpot-Signature (${version}) does not match the configured client secret`,
  };
}

function sha256Hex(...parts: (Buffer | string)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}
