import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../lambdas/ports/clock.js';
import { stripeSource } from '../../lambdas/sources/stripe.js';
import { fixture, stripeSignature, tampered } from '../support/billing-webhooks.js';
import { lakeKeys, rawRecords, tableObjects, tableRows } from '../support/lake-tables.js';
import { startTestApp, type TestApp } from '../support/local-app.js';
import { mutatedJsonBodies } from '../support/mutations.js';
import { startTestAppWithSourceOptions } from '../support/source-options-app.js';

const SECRET = 'whsec_cs_pulse_stripe_test_0123456789abcdef';
const OLD_SECRET = 'whsec_cs_pulse_stripe_rotated_out_000000';
const NOW = new Date('2025-06-01T12:00:00Z');

const created = fixture('stripe', 'customer.subscription.created.json');

describe('stripe webhooks over HTTP', () => {
  let app: TestApp;
  const clock = fixedClock(NOW);

  const postStripe = (body: string, options: { secret?: string; sentAt?: Date; header?: string } = {}) =>
    app.post('/webhooks/stripe', body, {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'stripe-signature':
        options.header ?? stripeSignature(options.secret ?? SECRET, body, options.sentAt ?? NOW),
    });

  beforeAll(async () => {
    app = await startTestApp({ env: { CS_PULSE_SECRET_STRIPE: `${OLD_SECRET} ${SECRET}` }, clock });
  });
  afterAll(async () => {
    await app.stop();
  });

  it('takes customer.subscription.created as a started subscription with its MRR', async () => {
    const response = await postStripe(created);

    expect(response.status).toBe(202);
    expect(response.body).toEqual({ accepted: 1, ignored: 0, delivery_id: 'evt_1Pgc76B7WZ01zgkWwyRHS12y' });
    const objects = await tableObjects(app.store, 'subscriptions');
    expect(objects.map((object) => object.key)).toEqual([
      expect.stringMatching(/^tables\/subscriptions\/dt=2024-07-26\/merged-[0-9a-f]{32}\.jsonl$/),
    ]);
    expect(objects[0]!.rows).toEqual([
      {
        source: 'stripe',
        event_id: 'evt_1Pgc76B7WZ01zgkWwyRHS12y',
        account_id: 'cus_QXg1o8vcGmoR32',
        occurred_at: '2024-07-26 00:34:15.000',
        received_at: '2025-06-01 12:00:00.000',
        subscription_id: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw',
        event_type: 'started',
        // 3 seats × 2000 cents a month
        mrr: 60,
        currency: 'USD',
        effective_at: null,
      },
    ]);
    const [raw] = (await rawRecords(app.store)).filter(
      (r) => r.delivery_id === 'evt_1Pgc76B7WZ01zgkWwyRHS12y',
    );
    expect(raw).toMatchObject({ source: 'stripe', status: 'accepted', body: created });
    expect(Object.keys(raw!.headers).sort()).toEqual(['content-type', 'stripe-signature', 'user-agent']);
  });

  it('maps an update, a scheduled cancellation and the deletion', async () => {
    for (const name of [
      'customer.subscription.updated.json',
      'customer.subscription.updated.cancel-scheduled.json',
      'customer.subscription.deleted.json',
    ]) {
      const response = await postStripe(fixture('stripe', name));
      expect(response.status, name).toBe(202);
      expect(response.body.accepted, name).toBe(1);
    }

    const rows = (await tableRows(app.store, 'subscriptions')).filter(
      (row) => row.event_id !== 'evt_1Pgc76B7WZ01zgkWwyRHS12y',
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          event_id: 'evt_1PgdA2B7WZ01zgkW0Nn1Yq8H',
          event_type: 'changed',
          mrr: 100,
          currency: 'USD',
          effective_at: null,
        }),
        expect.objectContaining({
          event_id: 'evt_1PgeC8B7WZ01zgkWc5u1Qh0D',
          event_type: 'canceled',
          occurred_at: '2024-07-26 02:34:14.000',
          // cancel_at: the end of the period the customer paid for
          effective_at: '2024-08-26 00:34:14.000',
          mrr: null,
        }),
        expect.objectContaining({
          event_id: 'evt_1PhQk0B7WZ01zgkWm2vGf7Lx',
          event_type: 'canceled',
          effective_at: '2024-08-26 00:34:14.000',
          subscription_id: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw',
          account_id: 'cus_QXg1o8vcGmoR32',
        }),
      ]),
    );
    expect(rows).toHaveLength(3);
  });

  it('starts a trial only when it converts, and ignores a trial that ends unconverted', async () => {
    const trialing = await postStripe(fixture('stripe', 'customer.subscription.created.trialing.json'));
    const endedInTrial = await postStripe(
      fixture('stripe', 'customer.subscription.deleted.during-trial.json'),
    );
    const converted = await postStripe(
      fixture('stripe', 'customer.subscription.updated.trial-converted.json'),
    );

    expect(trialing.body).toMatchObject({ accepted: 0, ignored: 1 });
    expect(endedInTrial.body).toMatchObject({ accepted: 0, ignored: 1 });
    expect(converted.body).toMatchObject({ accepted: 1, ignored: 0 });
    const rows = await tableRows(app.store, 'subscriptions');
    expect(rows.filter((row) => row.event_id === 'evt_1PiRz3B7WZ01zgkWq0Yv6Tb2')).toEqual([
      expect.objectContaining({ event_type: 'started', mrr: 60, occurred_at: '2024-08-09 00:34:19.000' }),
    ]);
    expect(rows.map((row) => row.event_id)).not.toContain('evt_1Pgc91B7WZ01zgkWk8Hh2Zs0');
    expect(rows.map((row) => row.event_id)).not.toContain('evt_1PhAa1B7WZ01zgkWp3Xr5Ve9');
  });

  it('counts a redelivered event once: the same table objects, rewritten', async () => {
    const before = await tableObjects(app.store, 'subscriptions');

    const again = await postStripe(created, { sentAt: new Date(NOW.getTime() - 60_000) });

    expect(again.status).toBe(202);
    expect(again.body.delivery_id).toBe('evt_1Pgc76B7WZ01zgkWwyRHS12y');
    expect(await tableObjects(app.store, 'subscriptions')).toEqual(before);
    const raws = (await rawRecords(app.store)).filter(
      (r) => r.delivery_id === 'evt_1Pgc76B7WZ01zgkWwyRHS12y',
    );
    expect(raws).toHaveLength(1);
  });

  it('acknowledges an unmapped event type and counts it ignored', async () => {
    const body = fixture('stripe', 'invoice.paid.json');
    const keysBefore = await lakeKeys(app.store);

    const response = await postStripe(body);

    expect(response.status).toBe(202);
    expect(response.body).toEqual({ accepted: 0, ignored: 1, delivery_id: 'evt_1PgcA0B7WZ01zgkWj1Gd9Kp3' });
    const added = (await lakeKeys(app.store)).filter((key) => !keysBefore.includes(key));
    expect(added).toEqual([expect.stringMatching(/^raw\/source=stripe\//)]);
  });

  it('accepts any v1 signature made with any configured secret (rotation)', async () => {
    const body = fixture('stripe', 'customer.subscription.updated.json');
    const good = stripeSignature(OLD_SECRET, body, NOW).split(',')[1]!;
    const header = `t=${NOW.getTime() / 1000},v1=${'0'.repeat(64)},${good},v0=${'f'.repeat(64)}`;

    expect((await postStripe(body, { header })).status).toBe(202);
  });

  it.each([
    [
      'a tampered body',
      () => ({ body: tampered(created, '"quantity": 3', '"quantity": 30'), header: undefined }),
    ],
    ['a wrong secret', () => ({ body: created, header: stripeSignature('whsec_wrong', created, NOW) })],
    [
      'a stale timestamp (301 s old)',
      () => ({ body: created, header: stripeSignature(SECRET, created, new Date(NOW.getTime() - 301_000)) }),
    ],
    [
      'a future timestamp (301 s ahead)',
      () => ({ body: created, header: stripeSignature(SECRET, created, new Date(NOW.getTime() + 301_000)) }),
    ],
    [
      'only a v0 signature',
      () => ({ body: created, header: stripeSignature(SECRET, created, NOW).replace('v1=', 'v0=') }),
    ],
    ['no signature header', () => ({ body: created, header: '' })],
  ])('refuses %s with 401 and stores nothing', async (_, make) => {
    const { body, header } = make();
    const signed = header ?? stripeSignature(SECRET, created, NOW);
    const keysBefore = await lakeKeys(app.store);

    const response = await postStripe(body, { header: signed });

    expect(response.status).toBe(401);
    expect(await lakeKeys(app.store)).toEqual(keysBefore);
  });

  it('answers malformed JSON with 400 and quarantines it', async () => {
    const body = created.slice(0, 200);

    const response = await postStripe(body);

    expect(response.status).toBe(400);
    const quarantined = (await rawRecords(app.store)).filter((r) => r.status === 'quarantined');
    expect(quarantined).toEqual([
      expect.objectContaining({ source: 'stripe', body, problem: expect.objectContaining({ status: 400 }) }),
    ]);
  });

  it('answers a subscription without the fields it needs with 422 naming them', async () => {
    const event = JSON.parse(created);
    delete event.data.object.customer;
    event.id = 'evt_missing_customer';

    const response = await postStripe(JSON.stringify(event));

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'data.object.customer' })]);
  });

  it('never answers a validly signed body, however mutated, with a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedJsonBodies(JSON.parse(created), { choices: { type: STRIPE_TYPES }, focus: STRIPE_FIELDS }),
        async (body) => {
          const response = await postStripe(body);
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 100 },
    );
  });
});

const STRIPE_FIELDS = [
  'created',
  'previous_attributes',
  'customer',
  'status',
  'currency',
  'cancel_at',
  'cancel_at_period_end',
  'canceled_at',
  'ended_at',
  'current_period_end',
  'trial_end',
  'metadata',
  'items',
  'quantity',
  'price',
  'plan',
  'unit_amount',
  'unit_amount_decimal',
  'recurring',
  'interval',
  'interval_count',
  'usage_type',
  'transform_quantity',
  'currency_options',
];

const STRIPE_TYPES = [
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.paid',
];

describe('stripe account id option', () => {
  it('reads the account id from the configured subscription metadata key', async () => {
    const app = await startTestAppWithSourceOptions(
      { stripe: { account_id_metadata_key: 'account_id' } },
      { env: { CS_PULSE_SECRET_STRIPE: SECRET }, clock: fixedClock(NOW) },
    );
    try {
      const response = await app.post('/webhooks/stripe', created, {
        'stripe-signature': stripeSignature(SECRET, created, NOW),
      });

      expect(response.status).toBe(202);
      expect(await tableRows(app.store, 'subscriptions')).toEqual([
        expect.objectContaining({ account_id: 'acct-4711', subscription_id: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw' }),
      ]);
    } finally {
      await app.stop();
    }
  });

  it('stops the server at start-up when an option is misspelled', async () => {
    await expect(
      startTestAppWithSourceOptions(
        { stripe: { account_id_metadata: 'account_id' } },
        { env: { CS_PULSE_SECRET_STRIPE: SECRET } },
      ),
    ).rejects.toThrow(/sources\.stripe/);
  });
});

describe('stripe MRR', () => {
  const base = JSON.parse(created);
  const price = (overrides: Record<string, unknown>, recurring: Record<string, unknown> = {}) => ({
    ...base.data.object.items.data[0].price,
    recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed', ...recurring },
    ...overrides,
  });
  const item = (itemPrice: unknown, quantity = 1) => ({
    object: 'subscription_item',
    quantity,
    price: itemPrice,
  });
  const mrrOf = (items: unknown[], currency = 'usd') => {
    const event = structuredClone(base);
    event.data.object.currency = currency;
    event.data.object.items.data = items;
    const result = stripeSource.normalize(Buffer.from(JSON.stringify(event)), {
      headers: {},
      receivedAt: NOW,
      options: {},
    });
    if (!result.ok) throw new Error(result.detail);
    const [started] = result.events;
    if (started?.type !== 'subscription.started') throw new Error('expected a started event');
    return started.data;
  };

  it.each([
    ['a yearly price', [item(price({ unit_amount: 120000 }, { interval: 'year' }))], 100],
    ['a weekly price', [item(price({ unit_amount: 1000 }, { interval: 'week' }))], 43.3333],
    ['a price every 3 months', [item(price({ unit_amount: 30000 }, { interval_count: 3 }))], 100],
    ['a daily price', [item(price({ unit_amount: 100 }, { interval: 'day' }))], 30.4167],
    ['7 seats', [item(price({ unit_amount: 1500 }), 7)], 105],
    [
      'several items, yearly and monthly',
      [item(price({ unit_amount: 2000 }), 3), item(price({ unit_amount: 12000 }, { interval: 'year' }))],
      70,
    ],
    [
      'a sub-cent unit_amount_decimal',
      [item(price({ unit_amount: null, unit_amount_decimal: '1234.5' }), 2)],
      24.69,
    ],
    [
      'a metered item beside a licensed one (the metered one has no MRR)',
      [item(price({ unit_amount: 2000 })), item(price({ unit_amount: 5 }, { usage_type: 'metered' }))],
      20,
    ],
    [
      'a package price (transform_quantity: 25 units in packs of 10, rounded up)',
      [item(price({ unit_amount: 1000, transform_quantity: { divide_by: 10, round: 'up' } }), 25)],
      30,
    ],
    [
      'a legacy plan without a price',
      [
        {
          object: 'subscription_item',
          quantity: 2,
          price: null,
          plan: { amount: 2500, currency: 'usd', interval: 'month', interval_count: 1 },
        },
      ],
      50,
    ],
  ])('%s', (_, items, expected) => {
    expect(mrrOf(items)).toEqual(expect.objectContaining({ mrr: expected, currency: 'USD' }));
  });

  it('reads zero-decimal currencies as whole units', () => {
    const yen = mrrOf([item(price({ currency: 'jpy', unit_amount: 3000 }))], 'jpy');
    const won = mrrOf([item(price({ currency: 'krw', unit_amount: 120000 }, { interval: 'year' }))], 'krw');
    expect([yen, won]).toEqual([
      expect.objectContaining({ mrr: 3000, currency: 'JPY' }),
      expect.objectContaining({ mrr: 10000, currency: 'KRW' }),
    ]);
  });

  it('reads three-decimal currencies as thousandths', () => {
    expect(mrrOf([item(price({ currency: 'kwd', unit_amount: 5120 }))], 'kwd')).toEqual(
      expect.objectContaining({ mrr: 5.12, currency: 'KWD' }),
    );
  });

  it("takes a multi-currency price's amount in the subscription's currency", () => {
    const multi = price({
      currency: 'usd',
      unit_amount: 2000,
      currency_options: { eur: { unit_amount: 1800 } },
    });
    expect(mrrOf([item(multi, 2)], 'eur')).toEqual(expect.objectContaining({ mrr: 36, currency: 'EUR' }));
  });
});
