import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  accountUpdated,
  subscriptionCanceled,
  subscriptionChanged,
  subscriptionStarted,
  surveyEvent,
} from '../support/events.js';
import { readLake, rowIdentity } from '../support/lake-files.js';
import { TEST_GENERIC_SECRET } from '../support/local-app.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';
import { standardWebhooksHeaders } from '../support/standard-webhooks.js';
import { withTempHome } from '../support/temp-home.js';

interface Delivery {
  readonly id: string;
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly eventIds: readonly string[];
}

/** Single events of every kind, and every tenth delivery a batch that spans tables and partitions. */
function deliveries(count: number, prefix: string): Delivery[] {
  return Array.from({ length: count }, (_, index) => {
    const at = (day: number) => `2025-06-${String(1 + ((index + day) % 28)).padStart(2, '0')}T10:00:00Z`;
    const account = `acct_${index % 17}`;
    const eventId = (n: number) => `${prefix}-${index}-${n}`;
    const single = [
      () => surveyEvent(eventId(0), account, 'nps', index % 11, at(0), { comment: 'fine' }),
      () => surveyEvent(eventId(0), account, 'csat', 1 + (index % 5), at(0)),
      () => subscriptionStarted(eventId(0), account, 100 + index, at(0)),
      () => subscriptionCanceled(eventId(0), account, at(0)),
      () => accountUpdated(eventId(0), account, at(0), { plan: 'growth', attributes: { region: 'emea' } }),
    ];
    const events =
      index % 10 === 9
        ? [
            surveyEvent(eventId(0), account, 'ces', 1 + (index % 7), at(0)),
            subscriptionChanged(eventId(1), account, 250, at(3)),
            accountUpdated(eventId(2), account, at(5), { name: 'Acme', attributes: { industry: 'retail' } }),
            subscriptionCanceled(eventId(3), account, at(7), `2025-07-01T00:00:00Z`),
          ]
        : [single[index % single.length]!()];
    const body = JSON.stringify(events.length === 1 ? events[0] : { events });
    const id = `msg_${prefix}_${index}`;
    return {
      id,
      body,
      headers: {
        'content-type': 'application/json',
        ...standardWebhooksHeaders(TEST_GENERIC_SECRET, body, { id }),
      },
      eventIds: events.map((event) => event.id),
    };
  });
}

function send(server: ServerProcess, delivery: Delivery): Promise<number> {
  return fetch(`${server.url}/webhooks/generic`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  }).then(async (response) => {
    await response.arrayBuffer();
    return response.status;
  });
}

const servers: ServerProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

async function start(home: string): Promise<ServerProcess> {
  const server = await startServerProcess({ home, env: { CS_PULSE_SECRET_GENERIC: TEST_GENERIC_SECRET } });
  servers.push(server);
  return server;
}

afterEach(async () => {
  for (const server of servers.splice(0)) await server.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * After a restart, the lake must hold every acknowledged delivery (raw body and all its table rows), nothing twice,
 * and no half-written file; and the server must take deliveries again. Recovery re-applies journal segments whose
 * merged table files the killed server may already have written: it must rewrite those files, not add copies.
 */
async function expectRecovered(home: string, sent: readonly Delivery[], acknowledged: ReadonlySet<string>) {
  const restarted = await start(home);
  expect((await fetch(`${restarted.url}/healthz`)).status).toBe(200);

  const lake = await readLake(path.join(home, 'lake'));
  expect(lake.broken).toEqual([]);
  const rawById = new Map(lake.raw.map((record) => [record.delivery_id, record]));
  const eventIdsInTables = new Set(lake.rows.map(({ row }) => row.event_id));
  const lost: string[] = [];
  for (const delivery of sent.filter((candidate) => acknowledged.has(candidate.id))) {
    const raw = rawById.get(delivery.id);
    if (raw?.status !== 'accepted' || raw.body !== delivery.body) lost.push(`raw ${delivery.id}`);
    for (const eventId of delivery.eventIds)
      if (!eventIdsInTables.has(eventId)) lost.push(`event ${eventId}`);
  }
  expect(lost).toEqual([]);
  expect(lake.raw.length).toBe(rawById.size);
  const identities = lake.rows.map(rowIdentity);
  expect(identities.length).toBe(new Set(identities).size);

  // It serves again: a new delivery and a redelivery of an acknowledged one, which must not duplicate anything.
  const [fresh] = deliveries(1, `after-${Date.now()}`);
  const redelivered = sent.find((delivery) => acknowledged.has(delivery.id))!;
  expect(await send(restarted, fresh!)).toBe(202);
  expect(await send(restarted, redelivered)).toBe(202);
  // Table rows reach their files at the server's checkpoints; a clean stop makes the last one.
  await restarted.kill('SIGTERM');
  const after = await readLake(path.join(home, 'lake'));
  expect(after.broken).toEqual([]);
  // The redelivery is stored again, as its own receipt; the views count the event once (the latest receipt).
  const receipts = after.rows.map((row) => `${rowIdentity(row)}@${row.row.received_at}`);
  expect(receipts.length).toBe(new Set(receipts).size);
  const newIdentities = new Set(
    after.rows.map(rowIdentity).filter((identity) => !identities.includes(identity)),
  );
  expect(newIdentities.size).toBe(fresh!.eventIds.length);
  const redeliveredCopies = after.rows.filter(({ row }) => row.event_id === redelivered.eventIds[0]);
  expect(new Set(redeliveredCopies.map(({ row }) => row.received_at)).size).toBe(2);
}

describe('crash durability of cs-pulse start', () => {
  it('keeps every acknowledged delivery when SIGKILLed with requests in flight', async () => {
    const temp = await withTempHome();
    cleanups.push(temp.cleanup);
    const server = await start(temp.root);
    const sent = deliveries(300, 'inflight');
    const acknowledged = new Set<string>();
    const inFlight = new Set<string>();
    let inFlightAtKill = -1;
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < sent.length && inFlightAtKill < 0) {
          const delivery = sent[next++]!;
          inFlight.add(delivery.id);
          const status = await send(server, delivery).catch(() => 0);
          inFlight.delete(delivery.id);
          if (status === 202) acknowledged.add(delivery.id);
          if (acknowledged.size >= 120 && inFlightAtKill < 0) {
            inFlightAtKill = inFlight.size;
            server.child.kill('SIGKILL');
          }
        }
      }),
    );
    await server.kill('SIGKILL');
    expect(server.child.signalCode).toBe('SIGKILL');
    // The kill came while other connections were waiting for their answers: a crash mid-write, not a quiet stop.
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(acknowledged.size).toBeGreaterThanOrEqual(120);

    await expectRecovered(temp.root, sent, acknowledged);
  });

  it('keeps a whole burst when SIGKILLed right after its last answer', async () => {
    const temp = await withTempHome();
    cleanups.push(temp.cleanup);
    const server = await start(temp.root);
    const sent = deliveries(150, 'burst');
    const statuses = await Promise.all(sent.map((delivery) => send(server, delivery)));
    await server.kill('SIGKILL');
    expect(statuses.every((status) => status === 202)).toBe(true);

    await expectRecovered(temp.root, sent, new Set(sent.map((delivery) => delivery.id)));
  });

  it('keeps rows already written at a checkpoint and rows only in the journal when SIGKILLed after both', async () => {
    const temp = await withTempHome();
    cleanups.push(temp.cleanup);
    const lake = path.join(temp.root, 'lake');
    const server = await start(temp.root);
    const checkpointed = deliveries(60, 'checkpointed');
    expect(await Promise.all(checkpointed.map((delivery) => send(server, delivery)))).toEqual(
      checkpointed.map(() => 202),
    );
    // Table rows reach their files at the server's next checkpoint: wait (for a state, not a time) until it wrote them.
    const eventCount = checkpointed.reduce((sum, delivery) => sum + delivery.eventIds.length, 0);
    await waitFor(
      async () => new Set((await readLake(lake)).rows.map(({ row }) => row.event_id)).size === eventCount,
    );
    const journaled = deliveries(60, 'journaled');
    expect(await Promise.all(journaled.map((delivery) => send(server, delivery)))).toEqual(
      journaled.map(() => 202),
    );
    await server.kill('SIGKILL');

    const sent = [...checkpointed, ...journaled];
    await expectRecovered(temp.root, sent, new Set(sent.map((delivery) => delivery.id)));
  });
});

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (await condition()) return;
    await sleep(100);
  }
  throw new Error('the server wrote no checkpoint in 30 s');
}
