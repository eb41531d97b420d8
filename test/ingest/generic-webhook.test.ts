import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStandardWebhooksSecret } from '../../lambdas/local/home.js';
import { fixedClock } from '../../lambdas/ports/clock.js';
import { accountUpdated, subscriptionCanceled, subscriptionStarted, surveyEvent } from '../support/events.js';
import { rawRecords, tableRows } from '../support/lake-files.js';
import { startTestApp, TEST_GENERIC_SECRET, type TestApp } from '../support/local-app.js';
import { standardWebhooksHeaders } from '../support/standard-webhooks.js';

const NOW = new Date('2025-03-10T12:00:00.000Z');
const ROTATED_SECRET = generateStandardWebhooksSecret();

describe('POST /webhooks/generic over real HTTP', () => {
  let app: TestApp;
  const clock = fixedClock(NOW);

  beforeAll(async () => {
    app = await startTestApp({
      clock,
      env: {
        CS_PULSE_SECRET_GENERIC: `${TEST_GENERIC_SECRET} ${ROTATED_SECRET}`,
        CS_PULSE_MAX_BODY_BYTES: '4096',
      },
    });
  });
  afterAll(async () => app.stop());

  const nps = (id: string, score = 9) => surveyEvent(id, 'acme', 'nps', score, '2025-03-09T08:30:00+02:00');

  it('accepts a signed event with 202 and stores the raw body and its normalized row', async () => {
    const response = await app.postGeneric(nps('evt-accept'), { id: 'msg-accept', sentAt: NOW });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ accepted: 1, ignored: 0, delivery_id: 'msg-accept' });

    const raw = (await rawRecords(app.home.lake)).find((record) => record.delivery_id === 'msg-accept');
    expect(raw).toMatchObject({
      source: 'generic',
      status: 'accepted',
      problem: null,
      body_encoding: 'utf8',
    });
    expect(JSON.parse(raw!.body)).toEqual(nps('evt-accept'));
    expect(raw!._key).toMatch(/^raw\/source=generic\/dt=2025-03-10\/[0-9a-f]{32}\.json$/);
    expect(raw!.headers['webhook-id']).toBe('msg-accept');

    const row = (await tableRows(app.home.lake, 'survey_responses')).find((r) => r.event_id === 'evt-accept');
    // 08:30 at +02:00 is 06:30 UTC: the row and its partition are in UTC.
    expect(row).toMatchObject({
      source: 'generic',
      account_id: 'acme',
      occurred_at: '2025-03-09 06:30:00.000',
      received_at: '2025-03-10 12:00:00.000',
      survey: 'nps',
      score: 9,
      scale_min: 0,
      scale_max: 10,
    });
    expect(row!._key).toMatch(/^tables\/survey_responses\/dt=2025-03-09\/merged-[0-9a-f]{32}\.jsonl$/);
  });

  it('takes a redelivery again without adding a copy', async () => {
    const body = nps('evt-redelivered');
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const response = await app.postGeneric(body, { id: 'msg-redelivered', sentAt: NOW });
      expect(response.status).toBe(202);
    }
    const rows = (await tableRows(app.home.lake, 'survey_responses')).filter(
      (r) => r.event_id === 'evt-redelivered',
    );
    expect(rows).toHaveLength(1);
    const raws = (await rawRecords(app.home.lake)).filter((r) => r.delivery_id === 'msg-redelivered');
    expect(raws).toHaveLength(1);
  });

  it('accepts a batch and writes one row per event into each table', async () => {
    const batch = {
      events: [
        accountUpdated('evt-b1', 'globex', '2025-02-01T00:00:00Z', {
          name: 'Globex',
          plan: 'pro',
          attributes: { region: 'emea' },
        }),
        subscriptionStarted('evt-b2', 'globex', 499.5, '2025-02-01T00:00:00Z'),
        subscriptionCanceled('evt-b3', 'globex', '2025-02-20T00:00:00Z', '2025-02-28T23:59:59Z'),
        surveyEvent('evt-b4', 'globex', 'ces', 4, '2025-02-21T00:00:00Z', {
          scale_min: 1,
          scale_max: 5,
          touchpoint: 'support',
        }),
      ],
    };
    const response = await app.postGeneric(batch, { id: 'msg-batch', sentAt: NOW });
    expect(response.status).toBe(202);
    expect(response.body.accepted).toBe(4);

    const subscriptions = (await tableRows(app.home.lake, 'subscriptions')).filter(
      (r) => r.account_id === 'globex',
    );
    expect(subscriptions.map((r) => [r.event_type, r.mrr, r.effective_at])).toEqual(
      expect.arrayContaining([
        ['started', 499.5, null],
        ['canceled', null, '2025-02-28 23:59:59.000'],
      ]),
    );
    const attributes = (await tableRows(app.home.lake, 'account_attributes')).filter(
      (r) => r.account_id === 'globex',
    );
    expect(attributes.map((r) => `${r.attribute_key}=${r.attribute_value}`).sort()).toEqual([
      'plan=pro',
      'region=emea',
    ]);
    const ces = (await tableRows(app.home.lake, 'survey_responses')).find((r) => r.event_id === 'evt-b4');
    expect(ces).toMatchObject({ survey: 'ces', score: 4, scale_min: 1, scale_max: 5, touchpoint: 'support' });
  });

  describe('signatures', () => {
    it('accepts a delivery signed with either secret during a rotation', async () => {
      const body = JSON.stringify(nps('evt-rotated'));
      const headers = standardWebhooksHeaders(ROTATED_SECRET, body, { id: 'msg-rotated', sentAt: NOW });
      expect((await app.post('/webhooks/generic', body, headers)).status).toBe(202);
    });

    it('accepts a header carrying several signatures when any one matches', async () => {
      const body = JSON.stringify(nps('evt-multi'));
      const stranger = standardWebhooksHeaders(generateStandardWebhooksSecret(), body, {
        id: 'msg-multi',
        sentAt: NOW,
      });
      const ours = standardWebhooksHeaders(TEST_GENERIC_SECRET, body, { id: 'msg-multi', sentAt: NOW });
      const headers = {
        ...ours,
        'webhook-signature': `${stranger['webhook-signature']} ${ours['webhook-signature']}`,
      };
      expect((await app.post('/webhooks/generic', body, headers)).status).toBe(202);
    });

    const refusals: [string, (body: string) => Record<string, string>][] = [
      ['no signature headers', () => ({})],
      [
        'a signature made with another secret',
        (body) => standardWebhooksHeaders(generateStandardWebhooksSecret(), body, { sentAt: NOW }),
      ],
      [
        'a body changed after signing',
        (body) => standardWebhooksHeaders(TEST_GENERIC_SECRET, `${body} `, { sentAt: NOW }),
      ],
      [
        'a different webhook-id than the one signed',
        (body) => ({
          ...standardWebhooksHeaders(TEST_GENERIC_SECRET, body, { id: 'a', sentAt: NOW }),
          'webhook-id': 'b',
        }),
      ],
      [
        'a timestamp 301 s old',
        (body) =>
          standardWebhooksHeaders(TEST_GENERIC_SECRET, body, { sentAt: new Date(NOW.getTime() - 301_000) }),
      ],
      [
        'a timestamp 301 s ahead',
        (body) =>
          standardWebhooksHeaders(TEST_GENERIC_SECRET, body, { sentAt: new Date(NOW.getTime() + 301_000) }),
      ],
      [
        'a signature without the v1 prefix',
        (body) => {
          const headers = standardWebhooksHeaders(TEST_GENERIC_SECRET, body, { sentAt: NOW });
          return { ...headers, 'webhook-signature': headers['webhook-signature']!.replace('v1,', '') };
        },
      ],
      [
        'a timestamp in milliseconds',
        (body) => ({
          ...standardWebhooksHeaders(TEST_GENERIC_SECRET, body, { sentAt: NOW }),
          'webhook-timestamp': String(NOW.getTime()),
        }),
      ],
    ];
    it.each(refusals)('refuses %s with 401 and stores nothing', async (_, sign) => {
      const body = JSON.stringify(nps(`evt-refused-${Math.random()}`));
      const before = (await rawRecords(app.home.lake)).length;
      const response = await app.post('/webhooks/generic', body, sign(body));
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.body).toMatchObject({ status: 401, title: 'Unauthorized' });
      expect(typeof response.body.detail).toBe('string');
      expect((await rawRecords(app.home.lake)).length).toBe(before);
    });

    it('accepts timestamps exactly at the edges of the 5-minute window', async () => {
      for (const offset of [-300_000, 300_000]) {
        const response = await app.postGeneric(nps(`evt-edge${offset}`), {
          sentAt: new Date(NOW.getTime() + offset),
        });
        expect(response.status).toBe(202);
      }
    });
  });

  describe('refusals of authentic requests', () => {
    it('answers malformed JSON with 400 and keeps the body quarantined', async () => {
      const response = await app.postGeneric('{"id": "evt-broken", ', { id: 'msg-malformed', sentAt: NOW });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ status: 400, detail: expect.stringContaining('not valid JSON') });
      const raw = (await rawRecords(app.home.lake)).find((r) => r.delivery_id === 'msg-malformed');
      expect(raw).toMatchObject({
        status: 'quarantined',
        problem: { status: 400 },
        body: '{"id": "evt-broken", ',
      });
    });

    it('answers schema violations with 422 listing every failing field, and quarantines the body', async () => {
      const batch = {
        events: [
          nps('evt-ok'),
          surveyEvent('evt-bad-score', 'acme', 'nps', 11, '2025-03-01T00:00:00Z'),
          {
            id: 'evt-bad-type',
            type: 'invoice.paid',
            occurred_at: '2025-03-01T00:00:00Z',
            account_id: 'acme',
            data: {},
          },
          subscriptionStarted('evt-bad-mrr', 'acme', -5, '2025-03-01T00:00:00Z', { currency: 'usd' }),
          { ...nps('evt-no-offset'), occurred_at: '2025-03-01T00:00:00' },
        ],
      };
      const response = await app.postGeneric(batch, { id: 'msg-invalid', sentAt: NOW });
      expect(response.status).toBe(422);
      const paths = response.body.errors.map((error: { path: string }) => error.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          'events[1].data.score',
          'events[2].type',
          'events[3].data.mrr',
          'events[3].data.currency',
          'events[4].occurred_at',
        ]),
      );
      expect(paths).not.toContain('events[0]');
      for (const error of response.body.errors) expect(error.message.length).toBeGreaterThan(0);
      // Nothing of the batch reaches the tables: it is all or nothing.
      expect((await tableRows(app.home.lake, 'survey_responses')).some((r) => r.event_id === 'evt-ok')).toBe(
        false,
      );
      const raw = (await rawRecords(app.home.lake)).find((r) => r.delivery_id === 'msg-invalid');
      expect(raw).toMatchObject({ status: 'quarantined', problem: { status: 422 } });
    });

    it('refuses a score outside a custom scale, and a scale upside down', async () => {
      const outside = await app.postGeneric(
        surveyEvent('evt-ces-out', 'acme', 'ces', 6, '2025-03-01T00:00:00Z', { scale_min: 1, scale_max: 5 }),
        { sentAt: NOW },
      );
      expect(outside.status).toBe(422);
      expect(outside.body.errors[0]).toMatchObject({
        path: 'data.score',
        message: expect.stringContaining('1–5'),
      });
      const inverted = await app.postGeneric(
        surveyEvent('evt-ces-inv', 'acme', 'ces', 3, '2025-03-01T00:00:00Z', { scale_min: 5, scale_max: 1 }),
        { sentAt: NOW },
      );
      expect(inverted.status).toBe(422);
    });

    it('refuses an empty batch with 422', async () => {
      const response = await app.postGeneric({ events: [] }, { sentAt: NOW });
      expect(response.status).toBe(422);
      expect(response.body.errors[0].path).toBe('events');
    });

    it('answers a non-JSON content type with 415 and quarantines the authentic body', async () => {
      const body = JSON.stringify(nps('evt-text'));
      const headers = {
        ...standardWebhooksHeaders(TEST_GENERIC_SECRET, body, { id: 'msg-text', sentAt: NOW }),
        'content-type': 'text/plain',
      };
      const response = await app.post('/webhooks/generic', body, headers);
      expect(response.status).toBe(415);
      expect(response.body.detail).toContain('application/json');
      const raw = (await rawRecords(app.home.lake)).find((r) => r.delivery_id === 'msg-text');
      expect(raw).toMatchObject({ status: 'quarantined', problem: { status: 415 } });
    });

    it('accepts application/json with a charset parameter', async () => {
      const response = await app.postGeneric(nps('evt-charset'), {
        sentAt: NOW,
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
      expect(response.status).toBe(202);
    });
  });

  describe('requests that are not deliveries', () => {
    it('answers 413 over the configured body limit, before checking the signature', async () => {
      const response = await app.post('/webhooks/generic', JSON.stringify({ padding: 'x'.repeat(5000) }));
      expect(response.status).toBe(413);
      expect(response.body.detail).toContain('4096');
    });

    it('answers 404 for an unknown source', async () => {
      const response = await app.post('/webhooks/unknown-vendor', '{}');
      expect(response.status).toBe(404);
      expect(response.body.detail).toContain('unknown-vendor');
    });

    it('answers 405 with Allow for a method other than POST', async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const response = await fetch(`${app.url}/webhooks/generic`, { method });
        expect(response.status).toBe(405);
        expect(response.headers.get('allow')).toBe('POST');
        expect(((await response.json()) as { status: number }).status).toBe(405);
      }
    });

    it('answers 404 with a problem body for a path nothing serves', async () => {
      const response = await fetch(`${app.url}/nothing/here`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    });
  });
});

describe('batch size limit', () => {
  it('refuses 501 events with 422 and accepts 500', async () => {
    const app = await startTestApp({ clock: fixedClock(NOW) });
    try {
      const events = (n: number) =>
        Array.from({ length: n }, (_, i) => surveyEvent(`e${i}`, 'a', 'csat', 5, '2025-03-01T00:00:00Z'));
      const tooMany = await app.postGeneric({ events: events(501) }, { sentAt: NOW });
      expect(tooMany.status).toBe(422);
      expect(tooMany.body.errors[0].path).toBe('events');
      const atLimit = await app.postGeneric({ events: events(500) }, { sentAt: NOW });
      expect(atLimit.status).toBe(202);
      expect(atLimit.body.accepted).toBe(500);
    } finally {
      await app.stop();
    }
  });
});

describe('the generic secret', () => {
  it('is generated on first start when none is set, kept in the home folder and reused on the next start', async () => {
    const first = await startTestApp({ clock: fixedClock(NOW), env: { CS_PULSE_SECRET_GENERIC: '' } });
    const home = first.home.root;
    try {
      expect(first.genericSecret.origin).toBe('generated');
      expect(first.genericSecret.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      const event = surveyEvent('e', 'a', 'nps', 5, '2025-03-01T00:00:00Z');
      expect(
        (await first.postGeneric(event, { secret: first.genericSecret.secret, sentAt: NOW })).status,
      ).toBe(202);
      expect((await first.postGeneric(event, { sentAt: NOW })).status).toBe(401);
      await first.close();
      const second = await startTestApp({
        clock: fixedClock(NOW),
        env: { CS_PULSE_SECRET_GENERIC: '' },
        home,
      });
      try {
        expect(second.genericSecret).toEqual({ secret: first.genericSecret.secret, origin: 'file' });
      } finally {
        await second.close();
      }
    } finally {
      await first.stop().catch(() => undefined);
    }
  });
});
