import { createHmac } from 'node:crypto';

/**
 * Signs requests the way each sender does, so the demo goes through the same verification as real traffic. These
 * are the documented algorithms written from the senders' side (docs/sources/*.md); the timestamps in them are the
 * time of sending, whatever the time of the events in the body.
 */

const unixSeconds = (at: Date) => Math.floor(at.getTime() / 1000);

/** Standard Webhooks (the generic source): base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`, key = base64 after whsec_. */
export function standardWebhooksHeaders(
  secret: string,
  id: string,
  body: string,
  sentAt: Date,
): Record<string, string> {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const timestamp = String(unixSeconds(sentAt));
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

/** Stripe: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "{t}.{body}">`, keyed with the whsec_ string as is. */
export function stripeHeaders(secret: string, body: string, sentAt: Date): Record<string, string> {
  const t = unixSeconds(sentAt);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex');
  return {
    'stripe-signature': `t=${t},v1=${v1}`,
    'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
  };
}

/** HubSpot v3: base64 HMAC-SHA256 of method + URI + body + timestamp (Unix milliseconds), keyed with the client secret. */
export function hubspotHeaders(
  secret: string,
  url: string,
  body: string,
  sentAt: Date,
): Record<string, string> {
  const timestamp = String(sentAt.getTime());
  return {
    'x-hubspot-signature-v3': createHmac('sha256', secret)
      .update(`POST${url}${body}${timestamp}`, 'utf8')
      .digest('base64'),
    'x-hubspot-request-timestamp': timestamp,
    'user-agent': 'HubSpot Connect 2.0 (http://dev.hubspot.com/) (namespace: webhooks-nio)',
  };
}

/** Zendesk: base64 HMAC-SHA256 of the RFC 3339 timestamp text followed by the body, the secret used verbatim. */
export function zendeskHeaders(
  secret: string,
  body: string,
  sentAt: Date,
  invocationId: string,
): Record<string, string> {
  const timestamp = sentAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    'x-zendesk-webhook-signature': createHmac('sha256', secret)
      .update(timestamp + body, 'utf8')
      .digest('base64'),
    'x-zendesk-webhook-signature-timestamp': timestamp,
    'x-zendesk-webhook-id': '01HDEMOCSPULSE0SATISFACTION',
    'x-zendesk-webhook-invocation-id': invocationId,
    'user-agent': 'Zendesk Webhook',
  };
}

/** Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>`. */
export function typeformHeaders(secret: string, body: string): Record<string, string> {
  return {
    'typeform-signature': `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('base64')}`,
    'user-agent': 'Typeform Webhooks',
  };
}

/** Delighted: `X-Delighted-Webhook-Signature: sha256=<hex HMAC-SHA256 of the body>`, keyed with the API key. */
export function delightedHeaders(apiKey: string, body: string): Record<string, string> {
  return {
    'x-delighted-webhook-signature': `sha256=${createHmac('sha256', apiKey).update(body, 'utf8').digest('hex')}`,
    'user-agent': 'Delighted Webhooks',
  };
}
