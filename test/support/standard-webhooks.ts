import { Webhook } from 'standardwebhooks';

/**
 * Signs a body the way a Standard Webhooks sender does, with the reference library (not our verifier's code), and
 * returns the three headers.
 */
export function standardWebhooksHeaders(
  secret: string,
  body: string,
  options: { id?: string; sentAt?: Date } = {},
): Record<string, string> {
  const id = options.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const sentAt = options.sentAt ?? new Date();
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, sentAt, body),
  };
}
