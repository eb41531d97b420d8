import { describe, expect, it } from 'vitest';
import { verifyBasicAuth } from '../../../lambdas/sources/schemes/basic-auth.js';
import type { WebhookRequest } from '../../../lambdas/sources/source.js';
import { basicAuthorization } from '../../support/billing-webhooks.js';

const request = (authorization?: string): WebhookRequest => ({
  method: 'POST',
  url: 'https://example.test/webhooks/chargebee',
  headers: authorization === undefined ? {} : { authorization },
  rawBody: Buffer.from('{}'),
  receivedAt: new Date(),
});

describe('HTTP Basic credentials', () => {
  it('accepts the configured username:password, with any of several configured', () => {
    expect(
      verifyBasicAuth(request(basicAuthorization('hook:s3cret:with:colons')), [
        'old:pw',
        'hook:s3cret:with:colons',
      ]),
    ).toEqual({ ok: true });
  });

  it('takes the scheme name in any case (RFC 7617)', () => {
    const value = Buffer.from('hook:pw').toString('base64');
    expect(verifyBasicAuth(request(`basic ${value}`), ['hook:pw']).ok).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['a wrong password', basicAuthorization('hook:nope')],
    ['a wrong username', basicAuthorization('other:pw')],
    ['a prefix of the credentials', basicAuthorization('hook:p')],
    ['no colon', basicAuthorization('hookpw')],
    ['a Bearer token', 'Bearer hook:pw'],
    ['not base64', 'Basic ***'],
  ])('refuses %s', (_, header) => {
    expect(verifyBasicAuth(request(header), ['hook:pw']).ok).toBe(false);
  });
});
