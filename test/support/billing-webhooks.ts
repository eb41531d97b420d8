import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Stripe from 'stripe';

/** A fixture's exact bytes, as the vendor would send them. */
export function fixture(vendor: 'stripe' | 'paddle' | 'chargebee', name: string): string {
  return readFileSync(new URL(`../fixtures/${vendor}/${name}`, import.meta.url), 'utf8');
}

/** The body with one part changed after signing; throws when the part is not there, so the test cannot go vacuous. */
export function tampered(body: string, from: string, to: string): string {
  if (!body.includes(from)) throw new Error(`the body has no ${from} to tamper with`);
  return body.replace(from, to);
}

// The Stripe SDK is only used offline here, to sign; the key is never sent anywhere.
const stripe = new Stripe('sk_test_cs_pulse_offline');

/** A `Stripe-Signature` header made by Stripe's own SDK (not by the verifier under test). */
export function stripeSignature(secret: string, body: string, sentAt: Date): string {
  return stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret,
    timestamp: Math.floor(sentAt.getTime() / 1000),
  });
}

/**
 * A `Paddle-Signature` header by the documented algorithm (Paddle's SDK only verifies): hex HMAC-SHA256 of
 * `{ts}:{body}` keyed with the secret key as is.
 */
export function paddleSignature(secret: string, body: string, sentAt: Date): string {
  const ts = Math.floor(sentAt.getTime() / 1000);
  return `ts=${ts};h1=${createHmac('sha256', secret).update(`${ts}:${body}`, 'utf8').digest('hex')}`;
}

/** The Authorization header Chargebee sends for `username:password` credentials set on the webhook. */
export function basicAuthorization(credentials: string): string {
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}
