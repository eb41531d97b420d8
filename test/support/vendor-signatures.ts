import { createHmac } from 'node:crypto';

/**
 * Signs bodies the way each vendor documents it. None of these vendors publishes a signing library, so these are the
 * documented algorithms written out independently of the verifiers in lambdas/sources/schemes (and pinned by the
 * reference vectors in test/sources/schemes).
 */

/** Zendesk: base64 HMAC-SHA256 of `timestamp + body`, the secret used verbatim, the timestamp RFC 3339 text. */
export function zendeskHeaders(
  secret: string,
  body: string,
  sentAt: Date | string = new Date(),
): Record<string, string> {
  const timestamp = typeof sentAt === 'string' ? sentAt : sentAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    'x-zendesk-webhook-signature': createHmac('sha256', secret)
      .update(timestamp + body, 'utf8')
      .digest('base64'),
    'x-zendesk-webhook-signature-timestamp': timestamp,
    'x-zendesk-webhook-id': '01GK8E6BKWMJZD2T8Y5AXJQMG5',
    'user-agent': 'Zendesk Webhook',
  };
}

/** Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1(client secret, body)>`. */
export function intercomHeaders(clientSecret: string, body: string): Record<string, string> {
  return {
    'x-hub-signature': `sha1=${createHmac('sha1', clientSecret).update(body, 'utf8').digest('hex')}`,
    'user-agent': 'intercom-parrot-service-worker/1.0',
  };
}

/** Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256(webhook secret, body)>`. */
export function typeformHeaders(secret: string, body: string): Record<string, string> {
  return {
    'typeform-signature': `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('base64')}`,
    'user-agent': 'Typeform Webhooks',
  };
}

/** Delighted: `X-Delighted-Webhook-Signature: sha256=<hex HMAC-SHA256(API key, body)>`. */
export function delightedHeaders(apiKey: string, body: string): Record<string, string> {
  return {
    'x-delighted-webhook-signature': `sha256=${createHmac('sha256', apiKey).update(body, 'utf8').digest('hex')}`,
  };
}
