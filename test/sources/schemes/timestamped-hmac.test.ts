import { describe, expect, it } from 'vitest';
import { PADDLE_SIGNATURE } from '../../../lambdas/sources/paddle.js';
import { verifyTimestampedHmac } from '../../../lambdas/sources/schemes/timestamped-hmac.js';
import type { WebhookRequest } from '../../../lambdas/sources/source.js';
import { STRIPE_SIGNATURE } from '../../../lambdas/sources/stripe.js';
import { stripeSignature } from '../../support/billing-webhooks.js';

function request(header: string, name: string, body: string, receivedAt: Date): WebhookRequest {
  return {
    method: 'POST',
    url: 'https://example.test/webhooks/x',
    headers: { [name]: header },
    rawBody: Buffer.from(body, 'utf8'),
    receivedAt,
  };
}

describe('Stripe-Signature', () => {
  // The regression vector of /work/shared/reference/vendor-webhooks.md §14, recomputed here by Stripe's own SDK.
  const body = JSON.stringify({ id: 'evt_test_webhook', object: 'event' }, null, 2);
  const at = new Date(1492774577 * 1000);

  it('matches the reference vector, also as made by the stripe SDK', () => {
    const header = 't=1492774577,v1=c2f890decbc5ede7c5060bb9a6d31e0626a4342bacb9aeae2adb1bcea72f9812';
    expect(stripeSignature('whsec_test_secret', body, at)).toBe(header);
    expect(
      verifyTimestampedHmac(STRIPE_SIGNATURE, request(header, 'stripe-signature', body, at), [
        'whsec_test_secret',
      ]),
    ).toEqual({ ok: true });
  });

  it('keys the HMAC with the whsec_ string itself, not its base64-decoded bytes', () => {
    const header = stripeSignature('whsec_test_secret', body, at);
    const decodedKey = Buffer.from('test_secret', 'base64').toString('latin1');
    expect(
      verifyTimestampedHmac(STRIPE_SIGNATURE, request(header, 'stripe-signature', body, at), [decodedKey]).ok,
    ).toBe(false);
  });

  it('accepts a timestamp 300 s off either way and refuses 301 s', () => {
    const header = stripeSignature('whsec_test_secret', body, at);
    const verify = (offsetSeconds: number) =>
      verifyTimestampedHmac(
        STRIPE_SIGNATURE,
        request(header, 'stripe-signature', body, new Date(at.getTime() + offsetSeconds * 1000)),
        ['whsec_test_secret'],
      ).ok;
    expect([verify(-300), verify(300), verify(-301), verify(301)]).toEqual([true, true, false, false]);
  });

  it('refuses a header with two timestamps', () => {
    const header = `t=1,${stripeSignature('whsec_test_secret', body, at)}`;
    expect(
      verifyTimestampedHmac(STRIPE_SIGNATURE, request(header, 'stripe-signature', body, at), [
        'whsec_test_secret',
      ]),
    ).toMatchObject({ ok: false });
  });
});

describe('Paddle-Signature', () => {
  // The vectors of Paddle's Node SDK test (src/__tests__/notifications/webhooks-validator.node.test.ts), secret VALID_SECRET.
  const at = new Date(1698796800 * 1000);

  it('matches the SDK vector', () => {
    const body = '{"data": ["1", "2"]}';
    const header = 'ts=1698796800;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9';
    expect(
      verifyTimestampedHmac(PADDLE_SIGNATURE, request(header, 'paddle-signature', body, at), [
        'VALID_SECRET',
      ]),
    ).toEqual({ ok: true });
    expect(
      verifyTimestampedHmac(PADDLE_SIGNATURE, request(header, 'paddle-signature', body, at), [
        'INVALID_VALID_SECRET',
      ]).ok,
    ).toBe(false);
    expect(
      verifyTimestampedHmac(
        PADDLE_SIGNATURE,
        request(header, 'paddle-signature', '{ "data": [ "1", "2" ]}', at),
        ['VALID_SECRET'],
      ).ok,
    ).toBe(false);
  });

  it('accepts any of several h1 signatures and ignores other schemes', () => {
    const body = '{"data": "value"}';
    const valid = 'h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261';
    const header = `ts=1698796800;h1=${'0'.repeat(64)};${valid};h2=RANDOM_HASH`;
    expect(
      verifyTimestampedHmac(PADDLE_SIGNATURE, request(header, 'paddle-signature', body, at), [
        'VALID_SECRET',
      ]),
    ).toEqual({ ok: true });
  });

  it('allows five minutes of clock difference, where the SDK allows five seconds', () => {
    const body = '{"data": ["1", "2"]}';
    const header = 'ts=1698796800;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9';
    const verify = (offsetSeconds: number) =>
      verifyTimestampedHmac(
        PADDLE_SIGNATURE,
        request(header, 'paddle-signature', body, new Date(at.getTime() + offsetSeconds * 1000)),
        ['VALID_SECRET'],
      ).ok;
    expect([verify(60), verify(-300), verify(301), verify(-301)]).toEqual([true, true, false, false]);
  });

  it.each(['invalid_header', 'h1=invalid_header', 'ts=1698796800;h2=x', `ts=abc;h1=${'a'.repeat(64)}`])(
    'refuses the malformed header %s',
    (header) => {
      expect(
        verifyTimestampedHmac(PADDLE_SIGNATURE, request(header, 'paddle-signature', '{}', at), [
          'VALID_SECRET',
        ]).ok,
      ).toBe(false);
    },
  );
});
