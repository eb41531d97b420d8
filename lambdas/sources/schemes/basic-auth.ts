import { createHash } from 'node:crypto';
import type { Verification, WebhookRequest } from '../source.js';
import { constantTimeEqual } from './hmac.js';

/**
 * HTTP Basic authentication (RFC 7617) for senders that sign nothing and send a configured user name and password
 * instead (Chargebee). Each configured secret is a `username:password` string.
 */
export function verifyBasicAuth(request: WebhookRequest, secrets: readonly string[]): Verification {
  const header = request.headers.authorization;
  if (!header) return { ok: false, reason: 'missing Authorization header (HTTP Basic)' };
  const match = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  if (!match) return { ok: false, reason: 'the Authorization header is not HTTP Basic credentials' };
  const offered = Buffer.from(match[1]!, 'base64');
  if (!offered.includes(':'.charCodeAt(0))) {
    return { ok: false, reason: 'the Basic credentials are not username:password' };
  }
  // Digests have one length, so the comparison time says nothing about the configured credentials' length either.
  const offeredDigest = sha256(offered);
  let matched = false;
  for (const secret of secrets) {
    // Compare against every secret, so the time taken does not reveal which one (if any) matched.
    if (constantTimeEqual(offeredDigest, sha256(Buffer.from(secret, 'utf8')))) matched = true;
  }
  return matched
    ? { ok: true }
    : { ok: false, reason: 'the Basic credentials do not match the configured ones' };
}

function sha256(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}
