import { describe, expect, it } from 'vitest';
import {
  hubspotV3SignedUri,
  verifyHubSpotSignature,
} from '../../../lambdas/sources/schemes/hubspot-signature.js';
import type { WebhookRequest } from '../../../lambdas/sources/source.js';

/** The published vectors of HubSpot's "Validating requests" docs and SDK tests (v1, v2), and one for v3. */
const SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const SDK_BODY =
  '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]';

function request(overrides: Partial<WebhookRequest> & { body?: string }): WebhookRequest {
  return {
    method: 'POST',
    url: 'https://www.example.com/webhook_uri',
    headers: {},
    rawBody: Buffer.from(overrides.body ?? '', 'utf8'),
    receivedAt: new Date(1700000000000),
    ...overrides,
  };
}

describe('verifyHubSpotSignature against the published vectors', () => {
  it('v1: hex SHA-256 of secret + body', () => {
    const headers = {
      'x-hubspot-signature': '232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de',
      'x-hubspot-signature-version': 'v1',
    };
    expect(verifyHubSpotSignature(request({ body: SDK_BODY, headers }), [SECRET])).toEqual({ ok: true });
    expect(verifyHubSpotSignature(request({ body: `${SDK_BODY} `, headers }), [SECRET]).ok).toBe(false);
  });

  it('v2: hex SHA-256 of secret + method + uri + body, for GET and POST', () => {
    const get = {
      'x-hubspot-signature': 'eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e',
      'x-hubspot-signature-version': 'v2',
    };
    expect(verifyHubSpotSignature(request({ method: 'GET', headers: get }), [SECRET])).toEqual({ ok: true });
    const post = {
      'x-hubspot-signature': '9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900',
      'x-hubspot-signature-version': 'v2',
    };
    const body = '{"example_field":"example_value"}';
    expect(verifyHubSpotSignature(request({ body, headers: post }), [SECRET])).toEqual({ ok: true });
    expect(
      verifyHubSpotSignature(request({ body, headers: post, url: 'https://www.example.com/other' }), [SECRET])
        .ok,
    ).toBe(false);
  });

  it('v3: base64 HMAC-SHA256 of method + uri + body + timestamp (ms)', () => {
    const headers = {
      'x-hubspot-signature-v3': 'rQEKkaNUiu+1qGF//O/pw4BCzstSqO1PyUnGICmf+7o=',
      'x-hubspot-request-timestamp': '1700000000000',
    };
    const body = '{"example_field":"example_value"}';
    expect(verifyHubSpotSignature(request({ body, headers }), ['another-secret', SECRET])).toEqual({
      ok: true,
    });
    expect(verifyHubSpotSignature(request({ body, headers }), ['another-secret']).ok).toBe(false);
  });

  it('v3: rejects a timestamp that is not milliseconds', () => {
    const headers = { 'x-hubspot-signature-v3': 'x', 'x-hubspot-request-timestamp': '1700000000.5' };
    expect(verifyHubSpotSignature(request({ headers }), [SECRET])).toMatchObject({ ok: false });
  });
});

describe('hubspotV3SignedUri', () => {
  it("decodes exactly the escapes in HubSpot's table, in either case", () => {
    expect(hubspotV3SignedUri('https://h.example/p%3Aq?a=%2f%3F%40%21%24%27%28%29%2A%2C%3b')).toBe(
      "https://h.example/p:q?a=/?@!$'()*,;",
    );
    expect(hubspotV3SignedUri('https://h.example/p?a=%20%26%3D%25%2B%7E')).toBe(
      'https://h.example/p?a=%20%26%3D%25%2B%7E',
    );
  });
});
