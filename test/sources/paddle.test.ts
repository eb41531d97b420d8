import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../lambdas/ports/clock.js';
import { paddleSource } from '../../lambdas/sources/paddle.js';
import { fixture, paddleSignature, tampered } from '../support/billing-webhooks.js';
import { lakeKeys, rawRecords, tableObjects, tableRows } from '../support/lake-tables.js';
import { startTestApp, type TestApp } from '../support/local-app.js';
import { mutatedJsonBodies } from '../support/mutations.js';
import { startTestAppWithSourceOptions } from '../support/source-options-app.js';

const SECRET = 'pdl_ntfset_01hcs_test_0123456789abcdefghijklmnop';
const OLD_SECRET = 'pdl_ntfset_01hcs_rotated_out_9876543210zyxwvut';
const NOW = new Date('2025-06-01T12:00:00Z');

const created = fixture('paddle', 'subscription-created.json');

describe('paddle webhooks over HTTP', () => {
  let app: TestApp;

  const postPaddle = (body: string, options: { secret?: string; sentAt?: Date; header?: string } = {}) =>
    app.post('/webhooks/paddle', body, {
      'content-type': 'application/json',
      'paddle-signature':
        options.header ?? paddleSignature(options.secret ?? SECRET, body, options.sentAt ?? NOW),
    });

  beforeAll(async () => {
    app = await startTestApp({
      env: { CS_PULSE_SECRET_PADDLE: `${OLD_SECRET} ${SECRET}` },
      clock: fixedClock(NOW),
    });
  });
  afterAll(async () => {
    await app.stop();
  });

  it('takes subscription.created as a started subscription with its MRR', async () => {
    const response = await postPaddle(created);

    expect(response.status).toBe(202);
    expect(response.body).toEqual({ accepted: 1, ignored: 0, delivery_id: 'evt_01h7ht60jy5hpdv5x8tfsaxje4' });
    const objects = await tableObjects(app.store, 'subscriptions');
    expect(objects.map((object) => object.key)).toEqual([
      expect.stringMatching(/^tables\/subscriptions\/dt=2023-08-11\/merged-[0-9a-f]{32}\.jsonl$/),
    ]);
    expect(objects[0]!.rows).toEqual([
      {
        source: 'paddle',
        event_id: 'evt_01h7ht60jy5hpdv5x8tfsaxje4',
        account_id: 'ctm_01h7hswb86rtps5ggbq7ybydcw',
        occurred_at: '2023-08-11 08:07:38.334',
        received_at: '2025-06-01 12:00:00.000',
        subscription_id: 'sub_01h7ht5z5wdg9pz18jx1fagp8k',
        event_type: 'started',
        // 10 seats at 32.40 plus one 108.00 addon, monthly
        mrr: 432,
        currency: 'USD',
        effective_at: null,
      },
    ]);
  });

  it('maps an update, a scheduled cancellation and the cancellation', async () => {
    for (const name of [
      'subscription-updated.json',
      'subscription-updated-cancel-scheduled.json',
      'subscription-canceled.json',
    ]) {
      const response = await postPaddle(fixture('paddle', name));
      expect(response.status, name).toBe(202);
      expect(response.body.accepted, name).toBe(1);
    }

    const rows = (await tableRows(app.store, 'subscriptions')).filter(
      (row) => row.event_id !== 'evt_01h7ht60jy5hpdv5x8tfsaxje4',
    );
    expect(rows).toHaveLength(3);
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          event_id: 'evt_01h7j296f40h99m4dcrr6h4as8',
          event_type: 'changed',
          mrr: 432,
        }),
        expect.objectContaining({
          event_id: 'evt_01h7hx9n4e2a8t3ctw5krbbvm1',
          event_type: 'canceled',
          occurred_at: '2023-08-11 11:02:41.172',
          effective_at: '2023-10-11 08:07:35.449',
          mrr: null,
        }),
        expect.objectContaining({
          event_id: 'evt_01h7jk37p1ezj1k5b4kt83t35j',
          event_type: 'canceled',
          effective_at: '2024-01-11 08:34:01.787',
          subscription_id: 'sub_01h7ht5z5wdg9pz18jx1fagp8k',
        }),
      ]),
    );
  });

  it('starts a trial when it is activated, not when it is created', async () => {
    const trialCreated = JSON.parse(fixture('paddle', 'subscription-trialing.json'));
    trialCreated.event_type = 'subscription.created';
    trialCreated.event_id = 'evt_01h84cka0000000000trialcr';

    const createdInTrial = await postPaddle(JSON.stringify(trialCreated));
    const activatedWithoutTrial = await postPaddle(fixture('paddle', 'subscription-activated.json'));
    const activatedAfterTrial = await postPaddle(
      fixture('paddle', 'subscription-activated-after-trial.json'),
    );

    expect(createdInTrial.body).toMatchObject({ accepted: 0, ignored: 1 });
    // A subscription without a trial started with subscription.created already.
    expect(activatedWithoutTrial.body).toMatchObject({ accepted: 0, ignored: 1 });
    expect(activatedAfterTrial.body).toMatchObject({ accepted: 1, ignored: 0 });
    expect(
      (await tableRows(app.store, 'subscriptions')).filter(
        (row) => row.subscription_id === 'sub_01h84ck8sg4ebkpzqb9x2mtjjf',
      ),
    ).toEqual([
      expect.objectContaining({ event_type: 'started', mrr: 25, occurred_at: '2023-08-28 13:16:02.051' }),
    ]);
  });

  it('counts a redelivered event once: the same table objects, rewritten', async () => {
    const before = await tableObjects(app.store, 'subscriptions');

    const again = await postPaddle(created, { sentAt: new Date(NOW.getTime() - 60_000) });

    expect(again.status).toBe(202);
    expect(again.body.delivery_id).toBe('evt_01h7ht60jy5hpdv5x8tfsaxje4');
    expect(await tableObjects(app.store, 'subscriptions')).toEqual(before);
    expect(
      (await rawRecords(app.store)).filter((r) => r.delivery_id === 'evt_01h7ht60jy5hpdv5x8tfsaxje4'),
    ).toHaveLength(1);
  });

  it.each([
    ['transaction.completed', 'transaction-completed.json', 'evt_01h8e1jxjnw9ra6zarhnz1a7y1'],
    ['subscription.trialing', 'subscription-trialing.json', 'evt_01h84cka4p40e737vm1ajb2bc5'],
  ])('acknowledges the unmapped %s and counts it ignored', async (_, name, eventId) => {
    const keysBefore = await lakeKeys(app.store);

    const response = await postPaddle(fixture('paddle', name));

    expect(response.status).toBe(202);
    expect(response.body).toEqual({ accepted: 0, ignored: 1, delivery_id: eventId });
    const added = (await lakeKeys(app.store)).filter((key) => !keysBefore.includes(key));
    expect(added).toEqual([expect.stringMatching(/^raw\/source=paddle\//)]);
  });

  it('accepts any h1 signature made with any configured secret (rotation)', async () => {
    const body = fixture('paddle', 'subscription-updated.json');
    const good = paddleSignature(OLD_SECRET, body, NOW).split(';')[1]!;
    const header = `ts=${NOW.getTime() / 1000};h1=${'0'.repeat(64)};${good}`;

    expect((await postPaddle(body, { header })).status).toBe(202);
  });

  it.each([
    ['a tampered body', () => ({ body: tampered(created, '"quantity": 10', '"quantity": 100') })],
    ['a wrong secret', () => ({ body: created, header: paddleSignature('pdl_ntfset_wrong', created, NOW) })],
    [
      'a stale timestamp (301 s old)',
      () => ({ body: created, header: paddleSignature(SECRET, created, new Date(NOW.getTime() - 301_000)) }),
    ],
    [
      'a future timestamp (301 s ahead)',
      () => ({ body: created, header: paddleSignature(SECRET, created, new Date(NOW.getTime() + 301_000)) }),
    ],
    ['no signature header', () => ({ body: created, header: '' })],
  ])('refuses %s with 401 and stores nothing', async (_, make) => {
    const { body, header } = make() as { body: string; header?: string };
    const keysBefore = await lakeKeys(app.store);

    const response = await postPaddle(body, { header: header ?? paddleSignature(SECRET, created, NOW) });

    expect(response.status).toBe(401);
    expect(await lakeKeys(app.store)).toEqual(keysBefore);
  });

  it('answers malformed JSON with 400 and quarantines it', async () => {
    const body = created.slice(0, 120);

    const response = await postPaddle(body);

    expect(response.status).toBe(400);
    expect((await rawRecords(app.store)).filter((r) => r.status === 'quarantined')).toEqual([
      expect.objectContaining({ source: 'paddle', body, problem: expect.objectContaining({ status: 400 }) }),
    ]);
  });

  it('never answers a validly signed body, however mutated, with a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedJsonBodies(JSON.parse(created), {
          choices: { event_type: PADDLE_TYPES },
          focus: PADDLE_FIELDS,
        }),
        async (body) => {
          const response = await postPaddle(body);
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 100 },
    );
  });
});

const PADDLE_TYPES = [
  'subscription.created',
  'subscription.activated',
  'subscription.updated',
  'subscription.canceled',
  'transaction.completed',
];

const PADDLE_FIELDS = [
  'event_id',
  'occurred_at',
  'data',
  'status',
  'customer_id',
  'currency_code',
  'started_at',
  'first_billed_at',
  'canceled_at',
  'billing_cycle',
  'interval',
  'frequency',
  'scheduled_change',
  'custom_data',
  'items',
  'quantity',
  'recurring',
  'price',
  'unit_price',
  'amount',
  'unit_price_overrides',
];

describe('paddle account id option', () => {
  it('reads the account id from the configured custom_data key, else the customer id', async () => {
    const app = await startTestAppWithSourceOptions(
      { paddle: { account_id_custom_data_key: 'account_id' } },
      { env: { CS_PULSE_SECRET_PADDLE: SECRET }, clock: fixedClock(NOW) },
    );
    try {
      const withCustomData = JSON.parse(created);
      withCustomData.data.custom_data = { account_id: 'acct-4711' };
      const withoutIt = JSON.parse(fixture('paddle', 'subscription-updated.json'));
      for (const event of [withCustomData, withoutIt]) {
        const body = JSON.stringify(event);
        const response = await app.post('/webhooks/paddle', body, {
          'paddle-signature': paddleSignature(SECRET, body, NOW),
        });
        expect(response.status).toBe(202);
      }

      expect(
        (await tableRows(app.store, 'subscriptions')).map((row) => [row.event_id, row.account_id]).sort(),
      ).toEqual([
        ['evt_01h7ht60jy5hpdv5x8tfsaxje4', 'acct-4711'],
        ['evt_01h7j296f40h99m4dcrr6h4as8', 'ctm_01h7hswb86rtps5ggbq7ybydcw'],
      ]);
    } finally {
      await app.stop();
    }
  });
});

describe('paddle MRR', () => {
  const base = JSON.parse(created);
  const item = (amount: string, quantity: number, interval = 'month', frequency = 1, currency = 'USD') => ({
    status: 'active',
    quantity,
    recurring: true,
    price: { unit_price: { amount, currency_code: currency }, billing_cycle: { interval, frequency } },
  });
  const mrrOf = (items: unknown[], currency = 'USD') => {
    const event = structuredClone(base);
    event.data.currency_code = currency;
    event.data.items = items;
    const result = paddleSource.normalize(Buffer.from(JSON.stringify(event)), {
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
    ['a yearly price', [item('120000', 1, 'year')], 100],
    ['a weekly price', [item('1000', 1, 'week')], 43.3333],
    ['a price every 3 months', [item('30000', 1, 'month', 3)], 100],
    ['10 seats', [item('3240', 10)], 324],
    ['several items, yearly and monthly', [item('2000', 3), item('12000', 1, 'year')], 70],
  ])('%s', (_, items, expected) => {
    expect(mrrOf(items)).toEqual(expect.objectContaining({ mrr: expected, currency: 'USD' }));
  });

  it('reads zero-decimal currencies as whole units', () => {
    expect(mrrOf([item('3000', 2, 'month', 1, 'JPY')], 'JPY')).toEqual(
      expect.objectContaining({ mrr: 6000, currency: 'JPY' }),
    );
  });

  it("takes a country override's amount when it is in the subscription's currency", () => {
    const priced = item('3000', 1);
    (priced.price as any).unit_price_overrides = [
      { country_codes: ['DE'], unit_price: { amount: '2700', currency_code: 'EUR' } },
    ];
    expect(mrrOf([priced], 'EUR')).toEqual(expect.objectContaining({ mrr: 27, currency: 'EUR' }));
  });

  it('leaves out inactive and one-time items', () => {
    const inactive = { ...item('5000', 1), status: 'inactive' };
    const oneTime = { ...item('9900', 1), recurring: false };
    expect(mrrOf([item('2000', 1), inactive, oneTime])).toEqual(expect.objectContaining({ mrr: 20 }));
  });
});
