import type { Verification, WebhookRequest } from '../source.js';
import { constantTimeEqual, hmac } from './hmac.js';

/**
 * The GitHub-style scheme several survey and support vendors use: an HMAC of the raw body alone, sent in one header
 * as `<algorithm>=<digest>`. Intercom (`X-Hub-Signature: sha1=<hex>`), Typeform (`Typeform-Signature:
 * sha256=<base64>`) and Delighted (`X-Delighted-Webhook-Signature: sha256=<hex>`) differ only in header, algorithm
 * and digest encoding. Nothing time-bound is signed, so the scheme has no replay window: a captured request can be
 * resent, and only the idempotent lake (same delivery, same key) limits the harm.
 */
export interface PrefixedBodyHmacScheme {
  /** Header name in lower case. */
  readonly header: string;
  readonly algorithm: 'sha1' | 'sha256';
  readonly encoding: 'hex' | 'base64';
}

export function verifyPrefixedBodyHmac(
  request: WebhookRequest,
  secrets: readonly string[],
  scheme: PrefixedBodyHmacScheme,
): Verification {
  const value = request.headers[scheme.header];
  if (!value) return { ok: false, reason: `missing ${scheme.header} header` };
  const prefix = `${scheme.algorithm}=`;
  if (!value.startsWith(prefix)) {
    return { ok: false, reason: `${scheme.header} is not of the form ${prefix}<${scheme.encoding} digest>` };
  }
  // Hex is case-insensitive; base64 is compared exactly as sent.
  const digest = value.slice(prefix.length).trim();
  const offered = Buffer.from(scheme.encoding === 'hex' ? digest.toLowerCase() : digest, 'utf8');
  for (const secret of secrets) {
    const expected = Buffer.from(
      hmac(scheme.algorithm, secret, request.rawBody).toString(scheme.encoding),
      'utf8',
    );
    if (constantTimeEqual(offered, expected)) return { ok: true };
  }
  return { ok: false, reason: `${scheme.header} does not match the configured secret` };
}
