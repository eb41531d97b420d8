import { describe, expect, it } from 'vitest';
import { canonicalEventOf } from '../../lambdas/demo/canonical-rendering.js';
import { genericDeliveries } from '../../lambdas/demo/generic-deliveries.js';
import { simulateCompany } from '../../lambdas/demo/simulate-company.js';
import type { SimulatedEvent } from '../../lambdas/demo/simulated-events.js';
import { canonicalEventSchema, MAX_EVENTS_PER_BATCH } from '../../lambdas/domain/canonical-events.js';

const NOW = new Date('2025-06-17T09:30:00Z');
const company = simulateCompany({ seed: '42', accounts: 1000, months: 24, now: NOW });

function byAccount(events: readonly SimulatedEvent[]): Map<string, SimulatedEvent[]> {
  const grouped = new Map<string, SimulatedEvent[]>();
  for (const event of events) grouped.set(event.accountId, [...(grouped.get(event.accountId) ?? []), event]);
  return grouped;
}

describe('the simulated company', () => {
  it('is the same for the same seed and differs for another', () => {
    const again = simulateCompany({ seed: '42', accounts: 1000, months: 24, now: NOW });
    expect(JSON.stringify(again.events)).toBe(JSON.stringify(company.events));
    const other = simulateCompany({ seed: '43', accounts: 1000, months: 24, now: NOW });
    expect(JSON.stringify(other.events)).not.toBe(JSON.stringify(company.events));
  });

  it('only moves on later in the same month: the months before stay exactly the same', () => {
    const later = simulateCompany({
      seed: '42',
      accounts: 1000,
      months: 24,
      now: new Date('2025-06-28T18:00:00Z'),
    });
    const beforeJune = (events: readonly SimulatedEvent[]) =>
      JSON.stringify(events.filter((event) => event.at < new Date('2025-06-01T00:00:00Z')));
    expect(beforeJune(later.events)).toBe(beforeJune(company.events));
    expect(later.events.length).toBeGreaterThan(company.events.length);
    expect(later.accounts.length).toBe(1000);
  });

  it('has at least 1,000 accounts, all signed up inside the window, more of them as the company grows', () => {
    const start = Date.parse('2023-07-01T00:00:00Z');
    expect(company.start.toISOString()).toBe('2023-07-01T00:00:00.000Z');
    const created = company.events.filter((event) => event.kind === 'account' && event.name !== undefined);
    expect(new Set(created.map((event) => event.accountId)).size).toBeGreaterThanOrEqual(1000);
    const outside = company.events.filter(
      (event) => event.at.getTime() < start || event.at.getTime() >= NOW.getTime(),
    );
    expect(outside).toEqual([]);
    const signupsIn = (from: string, to: string) =>
      company.accounts.filter(
        (account) => account.signedUpAt >= new Date(from) && account.signedUpAt < new Date(to),
      ).length;
    // Month 0 holds the existing book; after that, the last six full months sign up more than months 2–7.
    expect(signupsIn('2024-11-01', '2025-05-01')).toBeGreaterThan(
      1.3 * signupsIn('2023-08-01', '2024-02-01'),
    );
  });

  it('has every kind of event, in valid canonical form, for every lake table', () => {
    const canonical = company.events.map(canonicalEventOf);
    expect(canonical.filter((event) => !canonicalEventSchema.safeParse(event).success)).toEqual([]);
    const types = new Set(canonical.map((event) => event.type));
    expect([...types].sort()).toEqual([
      'account.updated',
      'subscription.canceled',
      'subscription.changed',
      'subscription.started',
      'survey.responded',
    ]);
    const surveys = company.events.filter((event) => event.kind === 'survey');
    expect(new Set(surveys.map((event) => event.survey))).toEqual(new Set(['nps', 'ces', 'csat']));
    const plans = new Set(company.accounts.map((account) => account.plan));
    expect(plans).toEqual(new Set(['starter', 'growth', 'enterprise']));
    for (const key of ['region', 'industry', 'sizeBand'] as const) {
      expect(new Set(company.accounts.map((account) => account[key])).size).toBeGreaterThanOrEqual(3);
    }
  });

  it('has expansions, contractions and reactivations', () => {
    const changes = company.events.flatMap((event) =>
      event.kind === 'subscription' && event.type === 'changed' ? [event] : [],
    );
    const mrrBefore = (event: (typeof changes)[number]) =>
      event.previous!.seats * event.previous!.pricePerSeat;
    expect(changes.filter((event) => event.mrr > mrrBefore(event)).length).toBeGreaterThan(50);
    expect(changes.filter((event) => event.mrr < mrrBefore(event)).length).toBeGreaterThan(20);
    let reactivated = 0;
    for (const events of byAccount(company.events).values()) {
      const canceledAt = events.find((e) => e.kind === 'subscription' && e.type === 'canceled')?.at;
      const restarted = events.some(
        (e) => e.kind === 'subscription' && e.type === 'started' && canceledAt && e.at > canceledAt,
      );
      if (restarted) reactivated += 1;
    }
    expect(reactivated).toBeGreaterThanOrEqual(5);
  });

  it('answers surveys at realistic rates and on their scales', () => {
    const surveys = company.events.flatMap((event) => (event.kind === 'survey' ? [event] : []));
    const scores = (survey: string) => surveys.filter((e) => e.survey === survey).map((e) => e.score);
    const nps = scores('nps');
    const promoters = nps.filter((score) => score >= 9).length / nps.length;
    const detractors = nps.filter((score) => score <= 6).length / nps.length;
    expect(Math.min(...nps)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...nps)).toBeLessThanOrEqual(10);
    expect(100 * (promoters - detractors)).toBeGreaterThan(0);
    expect(100 * (promoters - detractors)).toBeLessThan(60);
    expect(scores('ces').every((score) => score >= 1 && score <= 7)).toBe(true);
    const csat = scores('csat');
    expect(csat.every((score) => score >= 1 && score <= 5)).toBe(true);
    const satisfied = csat.filter((score) => score >= 4).length / csat.length;
    expect(satisfied).toBeGreaterThan(0.6);
    expect(satisfied).toBeLessThan(0.95);
    // Far fewer answers than account-months: most people do not answer most surveys.
    expect(nps.length).toBeLessThan(company.accounts.length * 6);
  });

  it('churns detractors and high-effort accounts several times more often than promoters and easy ones', () => {
    const tally = { detractor: [0, 0], promoter: [0, 0], hard: [0, 0], easy: [0, 0] };
    for (const events of byAccount(company.events).values()) {
      const cancel = events.findIndex((e) => e.kind === 'subscription' && e.type === 'canceled');
      const before = cancel < 0 ? events : events.slice(0, cancel);
      const last = (survey: string) =>
        before.findLast((e) => e.kind === 'survey' && e.survey === survey) as { score: number } | undefined;
      const churned = cancel < 0 ? 0 : 1;
      const nps = last('nps')?.score;
      const ces = last('ces')?.score;
      const count = (group: number[]) => {
        group[0]! += churned;
        group[1]! += 1;
      };
      if (nps !== undefined && nps <= 6) count(tally.detractor);
      if (nps !== undefined && nps >= 9) count(tally.promoter);
      if (ces !== undefined && ces <= 3) count(tally.hard);
      if (ces !== undefined && ces >= 6) count(tally.easy);
    }
    const rate = ([churned, accounts]: number[]) => churned! / accounts!;
    for (const group of Object.values(tally)) expect(group[1]).toBeGreaterThan(80);
    expect(rate(tally.detractor)).toBeGreaterThan(3 * rate(tally.promoter));
    expect(rate(tally.hard)).toBeGreaterThan(2.5 * rate(tally.easy));
  });

  it('batches the generic deliveries up to 500 events in time order', () => {
    const deliveries = genericDeliveries(company.events);
    expect(deliveries.reduce((sum, delivery) => sum + delivery.events, 0)).toBe(company.events.length);
    const batches = deliveries.map(
      (delivery) => JSON.parse(delivery.body).events as { occurred_at: string }[],
    );
    for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(MAX_EVENTS_PER_BATCH);
    const times = batches.flat().map((event) => event.occurred_at);
    expect(times).toEqual([...times].sort());
  });
});
