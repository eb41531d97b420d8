import type { Verification, WebhookRequest } from '../source.js';
import { constantTimeEqual, hmac, withinTolerance } from './hmac.js';

/**
 * The "timestamp plus hex HMAC-SHA256" signature header that Stripe (`Stripe-Signature: t=…,v1=…`) and Paddle Billing
 * (`Paddle-Signature: ts=…;h1=…`) use: one header of key=value pairs holding a Unix timestamp and one or more hex
 * signatures of `{timestamp}{separator}{raw body}`, keyed with the secret string exactly as the vendor shows it.
 * Several signatures appear while the sender rotates its secret; any one that matches authenticates.
 */
export interface TimestampedHmacScheme {
  /** The header, in lower case. */
  readonly header: string;
  /** Between the key=value pairs: `,` for Stripe, `;` for Paddle. */
  readonly pairSeparator: string;
  readonly timestampKey: string;
  /** The key of the signatures this scheme trusts; every other key (Stripe's legacy `v0`) is ignored. */
  readonly signatureKey: string;
  /** Between the timestamp and the body in the signed string: `.` for Stripe, `:` for Paddle. */
  readonly payloadSeparator: string;
  /** How far the timestamp may be from the server's clock, in either direction. */
  readonly toleranceSeconds: number;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const UNIX_SECONDS = /^\d{1,12}$/;

export function verifyTimestampedHmac(
  scheme: TimestampedHmacScheme,
  request: WebhookRequest,
  secrets: readonly string[],
): Verification {
  const header = request.headers[scheme.header];
  if (!header) return { ok: false, reason: `missing ${scheme.header} header` };

  const timestamps: string[] = [];
  const signatures: Buffer[] = [];
  for (const pair of header.split(scheme.pairSeparator)) {
    const equals = pair.indexOf('=');
    if (equals === -1) continue;
    const key = pair.slice(0, equals).trim();
    const value = pair.slice(equals + 1).trim();
    if (key === scheme.timestampKey) timestamps.push(value);
    else if (key === scheme.signatureKey && HEX_SHA256.test(value))
      signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamps.length !== 1 || !UNIX_SECONDS.test(timestamps[0]!)) {
    return { ok: false, reason: `${scheme.header} needs exactly one ${scheme.timestampKey}=<Unix seconds>` };
  }
  if (signatures.length === 0) {
    return { ok: false, reason: `${scheme.header} has no ${scheme.signatureKey} signature` };
  }
  // The vendors' SDKs sign the timestamp as a parsed integer, so "0123" is signed as "123".
  const timestamp = Number(timestamps[0]);
  // Both directions: a timestamp from the future is as suspect as a stale one (stricter than the vendors' SDKs).
  if (!withinTolerance(timestamp, request.receivedAt, scheme.toleranceSeconds)) {
    return {
      ok: false,
      reason: `${scheme.header} timestamp is more than ${scheme.toleranceSeconds} seconds from the server's time`,
    };
  }
  const signedPrefix = `${timestamp}${scheme.payloadSeparator}`;
  for (const secret of secrets) {
    const expected = hmac('sha256', secret, signedPrefix, request.rawBody);
    if (signatures.some((signature) => constantTimeEqual(signature, expected))) return { ok: true };
  }
  return { ok: false, reason: `no ${scheme.signatureKey} signature matches the configured secret` };
}
