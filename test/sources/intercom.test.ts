import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixture, lakeFiles, rawRecords, surveyRows } from '../support/home-files.js';
import { intercomHeaders } from '../support/vendor-signatures.js';
import { vendorSourceHarness } from '../support/vendor-source-harness.js';

const CLIENT_SECRET = '4f1d0c8b-7a2e-4e55-9d3b-1c6a8f2e9b70';

const { start, post } = vendorSourceHarness('intercom', CLIENT_SECRET, intercomHeaders);

async function ratingNotification(change: (notification: any) => void = () => {}): Promise<string> {
  const notification = JSON.parse(await fixture('intercom', 'conversation-rating-added.json'));
  change(notification);
  return JSON.stringify(notification);
}

describe('intercom source', () => {
  it('maps conversation.rating.added to a 1–5 CSAT response of the conversation’s company', async () => {
    const target = await start();
    const body = await fixture('intercom', 'conversation-rating-added.json');

    const response = await post(target, body);

    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({
      accepted: 1,
      ignored: 0,
      delivery_id: 'notif_4e3504a3-ba3f-46dc-ab48-8e4d5bdfdf4e',
    });
    expect(await surveyRows(target.home.root)).toEqual([
      expect.objectContaining({
        source: 'intercom',
        event_id: 'conversation-147-csat',
        account_id: '6762f0c91bb69f9f2193bb2c',
        occurred_at: '2026-03-02 11:01:40.000',
        survey: 'csat',
        score: 4,
        scale_min: 1,
        scale_max: 5,
        respondent_id: '6762f0b91bb69f9f2193bb1d',
        comment: 'Solved it in one go',
        touchpoint: 'conversation',
      }),
    ]);
  });

  it('takes the contact’s external id when configured first', async () => {
    const target = await start({ account_id_from: ['contact_external_id', 'company_id'] });
    const body = await fixture('intercom', 'conversation-rating-added.json');

    expect((await post(target, body)).status).toBe(202);
    expect(await surveyRows(target.home.root)).toEqual([expect.objectContaining({ account_id: 'u-1042' })]);
  });

  it('refuses a tampered body, a wrong secret and a sha256 signature with 401 and stores nothing', async () => {
    const target = await start();
    const body = await fixture('intercom', 'conversation-rating-added.json');
    const sha256 = {
      'x-hub-signature': intercomHeaders(CLIENT_SECRET, body)['x-hub-signature']!.replace('sha1=', 'sha256='),
    };

    const tampered = await post(
      target,
      body.replace('"rating": 4', '"rating": 5'),
      intercomHeaders(CLIENT_SECRET, body),
    );
    const wrongSecret = await post(target, body, intercomHeaders('not-the-client-secret', body));
    const wrongAlgorithm = await post(target, body, sha256);

    expect([tampered.status, wrongSecret.status, wrongAlgorithm.status]).toEqual([401, 401, 401]);
    expect(await lakeFiles(target.home.root, '')).toEqual([]);
  });

  it('counts a redelivered notification once, and a changed rating replaces the added one', async () => {
    const target = await start();
    const added = await fixture('intercom', 'conversation-rating-added.json');
    const changed = await ratingNotification((n) => {
      n.id = 'notif_9c1d2e3f-0000-4a5b-8c7d-112233445566';
      n.topic = 'conversation.rating.changed';
      n.data.item.conversation_rating.rating = 2;
      n.data.item.conversation_rating.updated_at = 1772452900;
    });

    expect((await post(target, added)).status).toBe(202);
    expect((await post(target, added)).status).toBe(202);
    expect(await surveyRows(target.home.root)).toHaveLength(1);

    expect((await post(target, changed)).status).toBe(202);
    const rows = await surveyRows(target.home.root);
    expect(new Set(rows.map((row) => row.event_id))).toEqual(new Set(['conversation-147-csat']));
    const latest = rows.sort((a, b) => a.received_at.localeCompare(b.received_at)).at(-1);
    expect(latest).toMatchObject({ score: 2 });
  });

  it('acknowledges and ignores pings, other topics and ratings it cannot attribute', async () => {
    const target = await start({ account_id_from: ['company_id'] });
    const ping = await fixture('intercom', 'ping.json');
    const replied = await ratingNotification((n) => {
      n.topic = 'conversation.user.replied';
      n.id = 'notif_replied';
    });
    const lead = await ratingNotification((n) => {
      n.id = 'notif_lead';
      n.data.item.company_id = null;
    });

    for (const body of [ping, replied, lead]) {
      const response = await post(target, body);
      expect(response.status).toBe(202);
      expect(response.body).toMatchObject({ accepted: 0, ignored: 1 });
    }
    expect(await surveyRows(target.home.root)).toEqual([]);
  });

  it('answers a malformed body with 400 and a rating outside 1–5 with 422, both quarantined', async () => {
    const target = await start();
    const outOfScale = await ratingNotification((n) => {
      n.data.item.conversation_rating.rating = 6;
    });

    const malformed = await post(target, '{"type":"notification_event",');
    const invalid = await post(target, outOfScale);

    expect([malformed.status, invalid.status]).toEqual([400, 422]);
    expect(invalid.body.errors[0].path).toMatch(/conversation_rating.*score/);
    expect(await surveyRows(target.home.root)).toEqual([]);
    const raw = await rawRecords(target.home.root, 'intercom');
    expect(raw.map((record) => record.status)).toEqual(['quarantined', 'quarantined']);
  });

  it('never answers a validly signed body with a 500', async () => {
    const target = await start({ account_id_from: ['company_id', 'contact_external_id', 'contact_id'] });
    const base = JSON.parse(await fixture('intercom', 'conversation-rating-added.json'));
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    const mutated = fc
      .record(
        {
          topic: fc.oneof(
            fc.constantFrom('conversation.rating.added', 'conversation.rating.changed', 'ping'),
            fc.string(),
          ),
          id: scalar,
          rating: scalar,
          created_at: scalar,
          updated_at: scalar,
          company_id: scalar,
          contact: fc.oneof(fc.record({ id: scalar, external_id: scalar }, { requiredKeys: [] }), scalar),
          item: fc.oneof(fc.constant(undefined), fc.jsonValue()),
        },
        { requiredKeys: [] },
      )
      .map((change) => {
        const n = structuredClone(base);
        if ('topic' in change) n.topic = change.topic;
        if ('id' in change) n.id = change.id;
        const rating = n.data.item.conversation_rating;
        if ('rating' in change) rating.rating = change.rating;
        if ('created_at' in change) rating.created_at = change.created_at;
        if ('updated_at' in change) rating.updated_at = change.updated_at;
        if ('company_id' in change) n.data.item.company_id = change.company_id;
        if ('contact' in change) rating.contact = change.contact;
        if ('item' in change && change.item !== undefined) n.data.item = change.item;
        return JSON.stringify(n);
      });
    const body = fc.oneof(
      mutated,
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.string(),
    );

    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const response = await post(target, text);
        expect([202, 400, 422]).toContain(response.status);
      }),
      { numRuns: 60 },
    );
  });
});
