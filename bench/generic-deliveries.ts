import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { decodeStandardWebhooksSecret } from '../lambdas/sources/schemes/standard-webhooks.js';

/** One signed request, ready to send as is. */
export interface SignedDelivery {
  readonly id: string;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  readonly events: number;
}

export interface DeliveryOptions {
  readonly secret: string;
  /** Makes webhook and event ids unique across runs that share a lake. */
  readonly idPrefix: string;
  readonly sentAt?: Date;
  /** Every n-th delivery is a batch. @default 20 */
  readonly batchEvery?: number;
  /** @default 25 */
  readonly batchSize?: number;
}

const REGIONS = ['emea', 'amer', 'apac'];
const INDUSTRIES = ['saas', 'retail', 'fintech', 'health', 'media'];
const PLANS = ['starter', 'growth', 'enterprise'];
const TOUCHPOINTS = ['onboarding', 'support-ticket', 'renewal', 'in-app'];
const COMMENTS = [
  'Setup took longer than expected but support was great.',
  'Love the dashboards, the export could be faster.',
  'Billing page is confusing.',
  'Exactly what our CS team needed.',
];

/**
 * A realistic mix of generic events (docs/generic-webhook.md): survey responses of all three kinds, subscription
 * starts, changes and cancellations, account updates with segment attributes, every n-th delivery a batch; dates
 * spread over the last month so writes hit several partitions. Deterministic for a given prefix.
 */
export function genericDeliveries(count: number, options: DeliveryOptions): SignedDelivery[] {
  const sentAt = options.sentAt ?? new Date();
  const timestamp = String(Math.floor(sentAt.getTime() / 1000));
  const key = decodeStandardWebhooksSecret(options.secret);
  const batchEvery = options.batchEvery ?? 20;
  const batchSize = options.batchSize ?? 25;
  const random = seededRandom(hashOf(options.idPrefix));
  let eventCounter = 0;
  const nextEvent = () => realisticEvent(`${options.idPrefix}-evt-${++eventCounter}`, sentAt, random);

  const deliveries: SignedDelivery[] = [];
  for (let index = 0; index < count; index += 1) {
    const isBatch = batchEvery > 0 && index % batchEvery === batchEvery - 1;
    const events = isBatch ? Array.from({ length: batchSize }, nextEvent) : [nextEvent()];
    const body = Buffer.from(JSON.stringify(isBatch ? { events } : events[0]));
    const id = `msg_${options.idPrefix}_${index}`;
    const signature = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
    deliveries.push({
      id,
      body,
      events: events.length,
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'user-agent': 'cs-pulse-bench/1',
        'webhook-id': id,
        'webhook-timestamp': timestamp,
        'webhook-signature': `v1,${signature}`,
      },
    });
  }
  const first = deliveries[0];
  if (first) {
    // Signing with node:crypto keeps pre-signing fast; the reference library confirms it is the scheme's signature.
    const reference = new Webhook(options.secret).sign(first.id, sentAt, first.body.toString('utf8'));
    if (reference !== first.headers['webhook-signature']) {
      throw new Error('bench signatures differ from the standardwebhooks reference library');
    }
  }
  return deliveries;
}

function realisticEvent(id: string, now: Date, random: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const account_id = `acct_${1000 + Math.floor(random() * 5000)}`;
  const occurred_at = new Date(now.getTime() - Math.floor(random() * 30 * 24 * 3600 * 1000)).toISOString();
  const roll = random();
  if (roll < 0.55) {
    const survey = pick(['nps', 'nps', 'csat', 'ces'] as const);
    const [min, max] = { nps: [0, 10], csat: [1, 5], ces: [1, 7] }[survey] as [number, number];
    return {
      id,
      type: 'survey.responded',
      occurred_at,
      account_id,
      data: {
        survey,
        score: min + Math.floor(random() * (max - min + 1)),
        respondent_id: `user_${Math.floor(random() * 100_000)}`,
        touchpoint: pick(TOUCHPOINTS),
        ...(random() < 0.4 ? { comment: pick(COMMENTS) } : {}),
      },
    };
  }
  if (roll < 0.8) {
    const kind = pick(['started', 'changed', 'changed', 'canceled'] as const);
    const subscription_id = `sub_${account_id}_${Math.floor(random() * 3)}`;
    if (kind === 'canceled') {
      return { id, type: 'subscription.canceled', occurred_at, account_id, data: { subscription_id } };
    }
    return {
      id,
      type: `subscription.${kind}`,
      occurred_at,
      account_id,
      data: { mrr: Math.round(random() * 500_000) / 100, currency: 'USD', subscription_id },
    };
  }
  return {
    id,
    type: 'account.updated',
    occurred_at,
    account_id,
    data: {
      name: `Customer ${account_id}`,
      plan: pick(PLANS),
      attributes: {
        region: pick(REGIONS),
        industry: pick(INDUSTRIES),
        size_band: pick(['smb', 'mid', 'ent']),
      },
    },
  };
}

/** mulberry32: a tiny seeded generator, so a run's bodies do not depend on Math.random. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashOf(text: string): number {
  let hash = 2166136261;
  for (let index = 0; index < text.length; index += 1) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 16777619);
  }
  return hash >>> 0;
}
