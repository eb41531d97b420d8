import { describe, expect, it } from 'vitest';
import { verifyPrefixedBodyHmac } from '../../../lambdas/sources/schemes/prefixed-body-hmac.js';
import type { WebhookRequest } from '../../../lambdas/sources/source.js';
import { delightedHeaders, intercomHeaders, typeformHeaders } from '../../support/vendor-signatures.js';

function request(body: string, headers: Record<string, string>): WebhookRequest {
  return {
    method: 'POST',
    url: 'https://example.test/webhooks/x',
    headers,
    rawBody: Buffer.from(body, 'utf8'),
    receivedAt: new Date(),
  };
}

const typeform = { header: 'typeform-signature', algorithm: 'sha256', encoding: 'base64' } as const;
const intercom = { header: 'x-hub-signature', algorithm: 'sha1', encoding: 'hex' } as const;
const delighted = { header: 'x-delighted-webhook-signature', algorithm: 'sha256', encoding: 'hex' } as const;

// Vectors from the project's vendor notes (§14), computed from each vendor's documented algorithm.
const vectors = [
  {
    scheme: typeform,
    secret: 'abc123',
    body: '{"event_id":"LtWXD3crgy","event_type":"form_response"}',
    header: 'sha256=fQ0Tf/AAVUZy1Bdk1is5tXMLH2Il2Qj36lezGX2eN6s=',
  },
  {
    scheme: intercom,
    secret: 'client_secret',
    body: '{"type":"notification_event"}',
    header: 'sha1=4daa94eb99e53512e02105d2e6e3babbd806f19b',
  },
  {
    scheme: delighted,
    secret: 'delighted_api_key',
    body: '{"event_type":"survey_response.created","event_id":"abc"}',
    header: 'sha256=cc5ccccf07befce63c0c17fff8237d98d2b4bd61114012c115b3e087ebe340d7',
  },
];

describe('prefixed body HMAC scheme', () => {
  it.each(vectors)('accepts the reference vector for $scheme.header', ({ scheme, secret, body, header }) => {
    expect(verifyPrefixedBodyHmac(request(body, { [scheme.header]: header }), [secret], scheme)).toEqual({
      ok: true,
    });
  });

  it('agrees with the test signers', () => {
    const body = '{"hello":"world"}';
    expect(verifyPrefixedBodyHmac(request(body, typeformHeaders('s', body)), ['s'], typeform).ok).toBe(true);
    expect(verifyPrefixedBodyHmac(request(body, intercomHeaders('s', body)), ['s'], intercom).ok).toBe(true);
    expect(verifyPrefixedBodyHmac(request(body, delightedHeaders('s', body)), ['s'], delighted).ok).toBe(
      true,
    );
  });

  it('accepts any of several secrets during a rotation, and upper-case hex', () => {
    const { secret, body, header } = vectors[1]!;
    const upper = `sha1=${header.slice(5).toUpperCase()}`;
    expect(
      verifyPrefixedBodyHmac(request(body, { 'x-hub-signature': upper }), ['old', secret], intercom).ok,
    ).toBe(true);
  });

  it('refuses another algorithm prefix, a missing header, another body and another secret', () => {
    const { secret, body, header } = vectors[0]!;
    const sha1Prefixed = header.replace('sha256=', 'sha1=');
    expect(
      verifyPrefixedBodyHmac(request(body, { 'typeform-signature': sha1Prefixed }), [secret], typeform),
    ).toEqual(expect.objectContaining({ ok: false, reason: expect.stringMatching(/form sha256=/) }));
    expect(verifyPrefixedBodyHmac(request(body, {}), [secret], typeform).ok).toBe(false);
    expect(
      verifyPrefixedBodyHmac(request(`${body} `, { 'typeform-signature': header }), [secret], typeform).ok,
    ).toBe(false);
    expect(
      verifyPrefixedBodyHmac(request(body, { 'typeform-signature': header }), ['abc124'], typeform).ok,
    ).toBe(false);
  });
});
