import { describe, expect, it } from 'vitest';
import { verifyZendeskSignature } from '../../../lambdas/sources/schemes/zendesk-signature.js';
import type { WebhookRequest } from '../../../lambdas/sources/source.js';

// Zendesk's webhook-builder test secret and a third-party vector that only reproduces with the secret used verbatim.
const SECRET = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==';
const TIMESTAMP = '2021-03-25T05:09:27Z';
const BODY = '{"event":"ticket.updated","id":123}';
const SIGNATURE = 'S/RDdU2ERmj7LHDDoWJ2onPYH+t7/f2+LTM4dL7UiLM=';

function request(receivedAt: string, headers: Record<string, string>, body = BODY): WebhookRequest {
  return {
    method: 'POST',
    url: 'https://example.test/webhooks/zendesk',
    headers,
    rawBody: Buffer.from(body, 'utf8'),
    receivedAt: new Date(receivedAt),
  };
}

const signed = {
  'x-zendesk-webhook-signature': SIGNATURE,
  'x-zendesk-webhook-signature-timestamp': TIMESTAMP,
};

describe('Zendesk signature scheme', () => {
  it('accepts the reference vector received within the window', () => {
    expect(verifyZendeskSignature(request('2021-03-25T05:12:00Z', signed), [SECRET])).toEqual({ ok: true });
  });

  it('does not base64-decode the secret', () => {
    const decoded = Buffer.from(SECRET, 'base64').toString('utf8');
    expect(verifyZendeskSignature(request('2021-03-25T05:09:30Z', signed), [decoded]).ok).toBe(false);
  });

  it('refuses a timestamp more than five minutes old or ahead, even with a valid signature', () => {
    expect(verifyZendeskSignature(request('2021-03-25T05:14:28Z', signed), [SECRET]).ok).toBe(false);
    expect(verifyZendeskSignature(request('2021-03-25T05:04:26Z', signed), [SECRET]).ok).toBe(false);
    expect(verifyZendeskSignature(request('2021-03-25T05:14:27Z', signed), [SECRET]).ok).toBe(true);
  });

  it('refuses a changed timestamp header or body', () => {
    const shifted = { ...signed, 'x-zendesk-webhook-signature-timestamp': '2021-03-25T05:09:28Z' };
    expect(verifyZendeskSignature(request('2021-03-25T05:10:00Z', shifted), [SECRET]).ok).toBe(false);
    expect(verifyZendeskSignature(request('2021-03-25T05:10:00Z', signed, `${BODY}\n`), [SECRET]).ok).toBe(
      false,
    );
  });
});
