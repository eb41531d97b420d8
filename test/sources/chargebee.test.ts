import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../lambdas/ports/clock.js';
import { chargebeeSource } from '../../lambdas/sources/chargebee.js';
import { basicAuthorization, fixture } from '../support/billing-webhooks.js';
import { lakeKeys, rawRecords, tableObjects, tableRows } from '../support/lake-tables.js';
import { startTestApp, type TestApp } from '../support/local-app.js';
import { mutatedJsonBodies } from '../support/mutations.js';
import { startTestAppWithSourceOptions } from '../support/source-options-app.js';

const CREDENTIALS = 'cs-pulse:hook-pass-7f3a9c';
const OLD_CREDENTIALS = 'cs-pulse:old-pass-1b2c3d';
const NOW = new Date('2025-06-01T12:00:00Z');

const created = fixture('chargebee', 'subscription_created.json');

describe('chargebee webhooks over HTTP', () => {
  let app: TestApp;

  const postChargebee = (body: string, authorization: string | null = basicAuthorization(CREDENTIALS)) =>
    app.post('/webhooks/chargebee', body, {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'ChargeBee',
      ...(authorization === null ? {} : { authorization }),
    });

  beforeAll(async () => {
    app = await startTestApp({
      env: { CS_PULSE_SECRET_CHARGEBEE: `${OLD_CREDENTIALS} ${CREDENTIALS}` },
      clock: fixedClock(NOW),
    });
  });
  afterAll(async () => {
    await app.stop();
  });

  it('takes subscription_created as a started subscription with Chargebee’s own MRR', async () => {
    const response = await postChargebee(created);

    expect(response.status).toBe(202);
    expect(response.body).toEqual({ accepted: 1, ignored: 0, delivery_id: 'ev_AzZTZgUXk3Q9a1H4' });
    const objects = await tableObjects(app.store, 'subscriptions');
    expect(objects.map((object) => object.key)).toEqual([
      expect.stringMatching(/^tables\/subscriptions\/dt=2025-01-01\/merged-[0-9a-f]{32}\.jsonl$/),
    ]);
    expect(objects[0]!.rows).toEqual([
      {
        source: 'chargebee',
        event_id: 'ev_AzZTZgUXk3Q9a1H4',
        account_id: 'AzZTZgUXk3Q0P1Gp',
        occurred_at: '2025-01-01 00:00:00.000',
        received_at: '2025-06-01 12:00:00.000',
        subscription_id: 'AzZTZgUXk3Q6x1H2',
        event_type: 'started',
        // mrr: 15700 cents
        mrr: 157,
        currency: 'USD',
        effective_at: null,
      },
    ]);
  });

  it('never archives the Authorization header or the credentials', async () => {
    const [record] = (await rawRecords(app.store)).filter((r) => r.delivery_id === 'ev_AzZTZgUXk3Q9a1H4');
    expect(Object.keys(record!.headers).sort()).toEqual(['content-type', 'user-agent']);

    // Everything the server wrote, lake and journal alike.
    const files = (await readdir(app.home.root, { recursive: true, withFileTypes: true })).filter((entry) =>
      entry.isFile(),
    );
    expect(files.length).toBeGreaterThan(0);
    const encoded = Buffer.from(CREDENTIALS).toString('base64');
    for (const file of files) {
      const bytes = await readFile(path.join(file.parentPath, file.name));
      expect(bytes.includes(encoded), file.name).toBe(false);
      expect(bytes.includes('hook-pass-7f3a9c'), file.name).toBe(false);
    }
  });

  it('maps changes, a scheduled cancellation, the cancellation and a reactivation', async () => {
    const names = [
      'subscription_changed.json',
      'subscription_changed.without-mrr.json',
      'subscription_changed.product-catalog-1.json',
      'subscription_cancellation_scheduled.json',
      'subscription_cancelled.json',
      'subscription_reactivated.json',
    ];
    for (const name of names) {
      const response = await postChargebee(fixture('chargebee', name));
      expect(response.status, name).toBe(202);
      expect(response.body.accepted, name).toBe(1);
    }

    const rows = (await tableRows(app.store, 'subscriptions')).filter(
      (row) => row.event_id !== 'ev_AzZTZgUXk3Q9a1H4',
    );
    expect(rows).toHaveLength(names.length);
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event_id: 'ev_AzZTZgUXk3R1b2J5', event_type: 'changed', mrr: 255 }),
        // No mrr on the subscription: (5 × 490.00 + 120.00) a year
        expect.objectContaining({ event_id: 'ev_AzZTZgUXk3R4c3K6', event_type: 'changed', mrr: 214.1667 }),
        // Product Catalog 1.0 in yen: (1000 + 2 × 300) every 3 months
        expect.objectContaining({
          event_id: 'ev_XpbG6hnQqGGAzq3b',
          event_type: 'changed',
          mrr: 533.3333,
          currency: 'JPY',
          account_id: '3Nl7oGgQqGFprj9',
        }),
        expect.objectContaining({
          event_id: 'ev_AzZTZgUXk3R7d4L7',
          event_type: 'canceled',
          occurred_at: '2025-01-04 00:00:00.000',
          effective_at: '2025-02-01 00:00:00.000',
        }),
        expect.objectContaining({
          event_id: 'ev_AzZTZgUXk3S0e5M8',
          event_type: 'canceled',
          effective_at: '2025-02-01 00:00:00.000',
          subscription_id: 'AzZTZgUXk3Q6x1H2',
        }),
        expect.objectContaining({ event_id: 'ev_AzZTZgUXk3S3f6N9', event_type: 'started', mrr: 255 }),
      ]),
    );
  });

  it('starts a trial when it is activated, not when it is created', async () => {
    const inTrial = await postChargebee(fixture('chargebee', 'subscription_created.in_trial.json'));
    const activated = await postChargebee(fixture('chargebee', 'subscription_activated.json'));

    expect(inTrial.body).toMatchObject({ accepted: 0, ignored: 1 });
    expect(activated.body).toMatchObject({ accepted: 1, ignored: 0 });
    const rows = await tableRows(app.store, 'subscriptions');
    expect(rows.map((row) => row.event_id)).not.toContain('ev_AzZTZgUXk3T6g7P0');
    expect(rows.filter((row) => row.event_id === 'ev_AzZTZgUXk3T9h8Q1')).toEqual([
      expect.objectContaining({ event_type: 'started', mrr: 157, occurred_at: '2025-01-15 00:00:00.000' }),
    ]);
  });

  it('ignores a cancellation before the trial converted', async () => {
    const event = JSON.parse(fixture('chargebee', 'subscription_created.in_trial.json'));
    event.id = 'ev_trial_cancelled';
    event.event_type = 'subscription_cancelled';
    event.content.subscription.status = 'cancelled';
    event.content.subscription.cancelled_at = event.occurred_at + 3 * 86_400;

    const response = await postChargebee(JSON.stringify(event));

    expect(response.body).toMatchObject({ accepted: 0, ignored: 1 });
  });

  it('counts a redelivered event once: the same table objects, rewritten', async () => {
    const before = await tableObjects(app.store, 'subscriptions');

    const again = await postChargebee(created);

    expect(again.status).toBe(202);
    expect(again.body.delivery_id).toBe('ev_AzZTZgUXk3Q9a1H4');
    expect(await tableObjects(app.store, 'subscriptions')).toEqual(before);
    expect((await rawRecords(app.store)).filter((r) => r.delivery_id === 'ev_AzZTZgUXk3Q9a1H4')).toHaveLength(
      1,
    );
  });

  it('acknowledges an unmapped event type and counts it ignored', async () => {
    const keysBefore = await lakeKeys(app.store);

    const response = await postChargebee(fixture('chargebee', 'payment_succeeded.json'));

    expect(response.status).toBe(202);
    expect(response.body).toEqual({ accepted: 0, ignored: 1, delivery_id: 'ev_AzZTZgUXk3U2i9R2' });
    const added = (await lakeKeys(app.store)).filter((key) => !keysBefore.includes(key));
    expect(added).toEqual([expect.stringMatching(/^raw\/source=chargebee\//)]);
  });

  it('accepts the older of two configured credentials (rotation)', async () => {
    const response = await postChargebee(
      fixture('chargebee', 'subscription_changed.json'),
      basicAuthorization(OLD_CREDENTIALS),
    );
    expect(response.status).toBe(202);
  });

  it.each([
    ['a wrong password', basicAuthorization('cs-pulse:hook-pass-7f3a9d')],
    ['a wrong username', basicAuthorization('cs-pulze:hook-pass-7f3a9c')],
    ['no Authorization header', null],
    ['the credentials as a Bearer token', `Bearer ${Buffer.from(CREDENTIALS).toString('base64')}`],
  ])('refuses %s with 401 and stores nothing', async (_, authorization) => {
    const keysBefore = await lakeKeys(app.store);

    const response = await postChargebee(created, authorization);

    expect(response.status).toBe(401);
    expect(await lakeKeys(app.store)).toEqual(keysBefore);
  });

  it('answers malformed JSON with 400 and quarantines it', async () => {
    const body = created.slice(0, 150);

    const response = await postChargebee(body);

    expect(response.status).toBe(400);
    expect((await rawRecords(app.store)).filter((r) => r.status === 'quarantined')).toEqual([
      expect.objectContaining({
        source: 'chargebee',
        body,
        problem: expect.objectContaining({ status: 400 }),
      }),
    ]);
  });

  it('never answers an authenticated body, however mutated, with a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedJsonBodies(JSON.parse(created), {
          choices: { event_type: CHARGEBEE_TYPES },
          focus: CHARGEBEE_FIELDS,
        }),
        async (body) => {
          const response = await postChargebee(body);
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 100 },
    );
  });
});

const CHARGEBEE_TYPES = [
  'subscription_created',
  'subscription_activated',
  'subscription_changed',
  'subscription_cancellation_scheduled',
  'subscription_cancelled',
  'subscription_reactivated',
  'payment_succeeded',
];

const CHARGEBEE_FIELDS = [
  'id',
  'occurred_at',
  'content',
  'subscription',
  'customer',
  'customer_id',
  'status',
  'currency_code',
  'mrr',
  'cancelled_at',
  'current_term_end',
  'trial_end',
  'billing_period',
  'billing_period_unit',
  'subscription_items',
  'item_type',
  'quantity',
  'unit_price',
  'amount',
  'meta_data',
  'cf_account_id',
];

describe('chargebee account id options', () => {
  const postTo = (app: TestApp, body: string) =>
    app.post('/webhooks/chargebee', body, { authorization: basicAuthorization(CREDENTIALS) });

  it.each([
    ['a customer custom field', { account_id_customer_field: 'cf_account_id' }, 'acct-4711'],
    ['a customer meta_data key', { account_id_metadata_key: 'crm_account_id' }, '0015g00000XyZabAAB'],
  ])('reads the account id from %s', async (_, options, expected) => {
    const app = await startTestAppWithSourceOptions(
      { chargebee: options },
      { env: { CS_PULSE_SECRET_CHARGEBEE: CREDENTIALS }, clock: fixedClock(NOW) },
    );
    try {
      expect((await postTo(app, created)).status).toBe(202);
      expect(await tableRows(app.store, 'subscriptions')).toEqual([
        expect.objectContaining({ account_id: expected }),
      ]);
    } finally {
      await app.stop();
    }
  });

  it('refuses both options at once when the server starts', async () => {
    await expect(
      startTestAppWithSourceOptions(
        {
          chargebee: {
            account_id_customer_field: 'cf_account_id',
            account_id_metadata_key: 'crm_account_id',
          },
        },
        { env: { CS_PULSE_SECRET_CHARGEBEE: CREDENTIALS } },
      ),
    ).rejects.toThrow(/not both/);
  });
});

describe('chargebee MRR without Chargebee’s own figure', () => {
  const base = JSON.parse(fixture('chargebee', 'subscription_changed.without-mrr.json'));
  const item = (
    unit_price: number,
    quantity: number,
    billing_period_unit?: string,
    billing_period?: number,
  ) => ({
    item_price_id: 'x',
    item_type: 'plan',
    quantity,
    unit_price,
    ...(billing_period_unit ? { billing_period_unit, billing_period } : {}),
  });
  const mrrOf = (items: unknown[], subscription: Record<string, unknown> = {}) => {
    const event = structuredClone(base);
    Object.assign(event.content.subscription, { subscription_items: items, ...subscription });
    const result = chargebeeSource.normalize(Buffer.from(JSON.stringify(event)), {
      headers: {},
      receivedAt: NOW,
      options: {},
    });
    if (!result.ok) throw new Error(result.detail);
    const [changed] = result.events;
    if (changed?.type !== 'subscription.changed') throw new Error('expected a changed event');
    return changed.data;
  };

  it.each([
    ['a yearly price', [item(120000, 1, 'year', 1)], 100],
    ['a weekly price', [item(1000, 1, 'week', 1)], 43.3333],
    ['a price every 3 months', [item(30000, 1, 'month', 3)], 100],
    ['12 seats', [item(1500, 12, 'month', 1)], 180],
    [
      'a plan and an addon billed with it (the addon has no period of its own)',
      [item(2000, 3, 'month', 1), { item_type: 'addon', quantity: 1, unit_price: 500 }],
      65,
    ],
    [
      'a one-time charge beside the plan (left out)',
      [item(2000, 1, 'month', 1), { item_type: 'charge', quantity: 1, amount: 50000 }],
      20,
    ],
    [
      'a multi-decimal price in major units',
      [
        {
          item_type: 'plan',
          quantity_in_decimal: '2.5',
          unit_price_in_decimal: '9.99',
          billing_period: 1,
          billing_period_unit: 'month',
        },
      ],
      24.975,
    ],
  ])('%s', (_, items, expected) => {
    expect(mrrOf(items, { billing_period: 1, billing_period_unit: 'month' })).toEqual(
      expect.objectContaining({ mrr: expected, currency: 'USD' }),
    );
  });

  it('reads zero-decimal currencies as whole units', () => {
    expect(mrrOf([item(1200, 1, 'month', 1)], { currency_code: 'JPY' })).toEqual(
      expect.objectContaining({ mrr: 1200, currency: 'JPY' }),
    );
  });

  it('answers 422 when no billing period tells how to bring a price to a month', () => {
    const event = structuredClone(base);
    Object.assign(event.content.subscription, {
      subscription_items: [{ item_type: 'addon', quantity: 1, unit_price: 500 }],
    });
    delete event.content.subscription.billing_period_unit;

    const result = chargebeeSource.normalize(Buffer.from(JSON.stringify(event)), {
      headers: {},
      receivedAt: NOW,
      options: {},
    });

    expect(result).toMatchObject({ ok: false, status: 422 });
  });
});
