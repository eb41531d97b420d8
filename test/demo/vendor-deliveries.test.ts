import { describe, expect, it } from 'vitest';
import { parseSourceOptions } from '../../lambdas/config/source-options.js';
import { canonicalEventOf } from '../../lambdas/demo/canonical-rendering.js';
import { DEMO_SOURCE_OPTIONS } from '../../lambdas/demo/demo-source-options.js';
import { genericDeliveries } from '../../lambdas/demo/generic-deliveries.js';
import { simulateCompany } from '../../lambdas/demo/simulate-company.js';
import { vendorDeliveries } from '../../lambdas/demo/vendor-deliveries.js';
import type { CanonicalEvent } from '../../lambdas/domain/canonical-events.js';
import { findSource } from '../../lambdas/sources/registry.js';

/**
 * The vendor rendering of a company, checked with the real sources (their verifiers and mappings, with the demo's
 * config): every request authenticates with a signature made now, and the events it maps to are the same company
 * as the generic rendering, with one account id across the five vendors.
 */
const NOW = new Date('2025-03-05T12:00:00Z');
const SENT_AT = new Date('2025-03-05T12:00:30Z');
const company = simulateCompany({ seed: 'vendors', accounts: 120, months: 9, now: NOW });
const options = parseSourceOptions(DEMO_SOURCE_OPTIONS);
const SECRETS: Record<string, string> = {
  generic: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  stripe: 'whsec_demo_test_secret',
  hubspot: '8c2f1b9e-4d7a-4f0e-9b61-3a5d7e2c9f40',
  delighted: 'c0ffee0123456789abcdef0123456789',
  typeform: 'typeform-demo-secret',
  zendesk: 'dGhpcyBpcyBub3QgZGVjb2RlZA==',
};

function normalizeAll(deliveries: ReturnType<typeof vendorDeliveries>) {
  const events: CanonicalEvent[] = [];
  const refused: string[] = [];
  for (const delivery of deliveries) {
    const source = findSource(delivery.source)!;
    const url = `http://127.0.0.1:3000/webhooks/${delivery.source}`;
    const headers = {
      'content-type': 'application/json',
      ...delivery.headers(SECRETS[delivery.source]!, SENT_AT, url),
    };
    const request = {
      method: 'POST',
      url,
      headers,
      rawBody: Buffer.from(delivery.body),
      receivedAt: SENT_AT,
    };
    const verified = source.verify(request, [SECRETS[delivery.source]!]);
    if (!verified.ok) {
      refused.push(`${delivery.source}: ${verified.reason}`);
      continue;
    }
    const normalized = source.normalize(request.rawBody, {
      headers,
      receivedAt: SENT_AT,
      options: options(delivery.source),
    });
    if (!normalized.ok) refused.push(`${delivery.source}: ${normalized.detail}`);
    else {
      if (normalized.ignored > 0) refused.push(`${delivery.source}: ${normalized.ignored} ignored`);
      events.push(...normalized.events);
    }
  }
  return { events, refused };
}

/** Each account's latest name, plan and attributes, as the account_segments view reads them. */
function latestAccountFields(events: readonly CanonicalEvent[]) {
  const latest = new Map<string, { at: string; value: string }>();
  for (const event of events) {
    if (event.type !== 'account.updated') continue;
    const fields: Record<string, string> = { ...event.data.attributes };
    if (event.data.plan) fields.plan = event.data.plan;
    if (event.data.name) fields.name = event.data.name;
    for (const [key, value] of Object.entries(fields)) {
      const id = `${event.account_id}/${key}`;
      const seen = latest.get(id);
      if (!seen || seen.at < event.occurred_at) latest.set(id, { at: event.occurred_at, value });
    }
  }
  return new Map([...latest].map(([id, { value }]) => [id, value]));
}

describe('the vendor rendering of the simulated company', () => {
  const deliveries = vendorDeliveries(company.events, company.accounts);
  const { events, refused } = normalizeAll(deliveries);
  const generic = company.events.map(canonicalEventOf);

  it('uses every vendor, and every request authenticates and maps with nothing ignored', () => {
    expect(new Set(deliveries.map((delivery) => delivery.source))).toEqual(
      new Set(['stripe', 'hubspot', 'delighted', 'typeform', 'zendesk']),
    );
    expect(refused).toEqual([]);
    const hubspotBatches = deliveries.filter((delivery) => delivery.source === 'hubspot');
    for (const batch of hubspotBatches) expect(JSON.parse(batch.body).length).toBeLessThanOrEqual(100);
  });

  it('gives every account the same name, plan and segments as the generic rendering', () => {
    expect(latestAccountFields(events)).toEqual(latestAccountFields(generic));
    expect(latestAccountFields(events).size).toBe(company.accounts.length * 5);
  });

  it('carries the same subscriptions: account, subscription id, MRR, times', () => {
    const key = (event: CanonicalEvent) =>
      event.type === 'subscription.started' || event.type === 'subscription.changed'
        ? `${event.type} ${event.account_id} ${event.data.subscription_id} ${event.occurred_at} ${event.data.mrr} ${event.data.currency}`
        : event.type === 'subscription.canceled'
          ? `${event.type} ${event.account_id} ${event.data.subscription_id} ${event.occurred_at} ${event.data.effective_at}`
          : undefined;
    const fromVendors = events.map(key).filter(Boolean).sort();
    expect(fromVendors).toEqual(generic.map(key).filter(Boolean).sort());
    expect(fromVendors.length).toBeGreaterThan(100);
  });

  it('carries the same survey answers: NPS and CES as scored, CSAT as Zendesk good/bad', () => {
    const normalized = (event: CanonicalEvent) => {
      if (event.type !== 'survey.responded') return undefined;
      const { survey, score } = event.data;
      // Zendesk rates good (1 of 0–1) or bad (0); the simulation's 4–5 of 5 is good.
      const value = survey === 'csat' ? (event.data.scale_max === 1 ? score : score >= 4 ? 1 : 0) : score;
      return `${survey} ${event.account_id} ${event.occurred_at} ${value} ${event.data.respondent_id}`;
    };
    const fromVendors = events.map(normalized).filter(Boolean).sort();
    expect(fromVendors).toEqual(generic.map(normalized).filter(Boolean).sort());
    const surveys = new Set(
      events.flatMap((event) => (event.type === 'survey.responded' ? [event.data.survey] : [])),
    );
    expect(surveys).toEqual(new Set(['nps', 'ces', 'csat']));
  });

  it('signs the generic batches with Standard Webhooks, as the generic source verifies them', () => {
    const source = findSource('generic')!;
    for (const delivery of genericDeliveries(company.events)) {
      const headers = delivery.headers(SECRETS.generic!, SENT_AT, 'http://127.0.0.1:3000/webhooks/generic');
      const request = {
        method: 'POST',
        url: 'http://127.0.0.1:3000/webhooks/generic',
        headers,
        rawBody: Buffer.from(delivery.body),
        receivedAt: SENT_AT,
      };
      expect(source.verify(request, [SECRETS.generic!])).toMatchObject({ ok: true });
      // Signed now, whatever the age of the events: an hour later the same signature is refused.
      expect(
        source.verify({ ...request, receivedAt: new Date(SENT_AT.getTime() + 3600_000) }, [SECRETS.generic!])
          .ok,
      ).toBe(false);
    }
  });
});
