import { execFile } from 'node:child_process';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDiskObjectStore } from '../../lambdas/adapters/local-disk-object-store.js';
import { parseSourceOptions } from '../../lambdas/config/source-options.js';
import { deliveryKey } from '../../lambdas/lake/layout.js';
import { type ReplayReport, replayLake } from '../../lambdas/lake/replay.js';
import {
  accountUpdated,
  subscriptionCanceled,
  subscriptionChanged,
  subscriptionStarted,
  surveyEvent,
} from '../support/events.js';
import { fixture, surveyRows } from '../support/home-files.js';
import { readLake, snapshotFiles } from '../support/lake-files.js';
import { startTestApp, TEST_GENERIC_SECRET } from '../support/local-app.js';
import { REPO_ROOT } from '../support/server-process.js';
import { withTempHome } from '../support/temp-home.js';
import { delightedHeaders } from '../support/vendor-signatures.js';

let home: { root: string; cleanup: () => Promise<void> };
let lake: string;
let tables: string;
/** The table files exactly as the live server wrote them (the rows of many deliveries per file). */
let ingested: Map<string, Buffer>;
/** The table files of the first replay: one per delivery and partition, as replay always writes them. */
let replayed: Map<string, Buffer>;

/** Every row of a set of table files, as its JSON line, keeping of each event only its latest received copy. */
function latestRows(files: Map<string, Buffer>): string[] {
  const latest = new Map<string, { line: string; receivedAt: string }>();
  for (const [file, bytes] of files) {
    for (const line of bytes.toString('utf8').split('\n').filter(Boolean)) {
      const row = JSON.parse(line);
      const identity = `${file.split('/')[0]}/${row.event_id}/${row.attribute_key ?? ''}`;
      const seen = latest.get(identity);
      if (!seen || seen.receivedAt < row.received_at)
        latest.set(identity, { line, receivedAt: row.received_at });
    }
  }
  return [...latest.values()].map(({ line }) => line).sort();
}

async function replay(): Promise<ReplayReport> {
  const store = await LocalDiskObjectStore.open({ root: lake, durability: 'none' });
  try {
    return await replayLake(store, { sourceOptions: parseSourceOptions({}) });
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  home = await withTempHome();
  lake = path.join(home.root, 'lake');
  tables = path.join(lake, 'tables');
  const app = await startTestApp({ home: home.root });
  try {
    const accepted = [
      surveyEvent('evt-nps-1', 'acct_1', 'nps', 9, '2025-05-30T23:59:59Z', { comment: 'great' }),
      surveyEvent('evt-csat-1', 'acct_2', 'csat', 4, '2025-06-02T08:00:00+02:00'),
      subscriptionStarted('evt-sub-1', 'acct_1', 499.5, '2025-05-01T12:00:00Z'),
      accountUpdated('evt-acct-1', 'acct_1', '2025-05-01T12:00:00Z', {
        name: 'Acme',
        plan: 'growth',
        attributes: { region: 'emea', industry: 'retail' },
      }),
    ];
    for (const [index, event] of accepted.entries()) {
      expect((await app.postGeneric(event, { id: `msg_single_${index}` })).status).toBe(202);
    }
    // The same delivery twice: the second overwrites its raw record; its rows are stored again (the views keep one).
    const duplicated = surveyEvent('evt-ces-1', 'acct_3', 'ces', 6, '2025-06-03T10:00:00Z');
    expect((await app.postGeneric(duplicated, { id: 'msg_dup' })).status).toBe(202);
    expect((await app.postGeneric(duplicated, { id: 'msg_dup' })).status).toBe(202);
    // A batch spanning tables and partitions.
    const batch = {
      events: [
        subscriptionChanged('evt-sub-2', 'acct_2', 120, '2025-06-04T10:00:00Z', { subscription_id: 'sub_a' }),
        subscriptionCanceled('evt-sub-3', 'acct_4', '2025-06-05T10:00:00Z', '2025-07-01T00:00:00Z'),
        surveyEvent('evt-nps-2', 'acct_4', 'nps', 2, '2025-06-05T11:00:00Z', { touchpoint: 'renewal' }),
        accountUpdated('evt-acct-2', 'acct_4', '2025-06-05T11:00:00Z', { attributes: { size_band: 'smb' } }),
      ],
    };
    expect((await app.postGeneric(batch, { id: 'msg_batch' })).status).toBe(202);
    // Authentic but invalid: archived as quarantined, no table rows.
    const invalid = surveyEvent('evt-nps-bad', 'acct_5', 'nps', 11, '2025-06-06T10:00:00Z');
    expect((await app.postGeneric(invalid, { id: 'msg_invalid' })).status).toBe(422);
  } finally {
    await app.close();
  }
  ingested = await snapshotFiles(tables);
}, 60_000);

afterAll(async () => {
  await home?.cleanup();
});

describe('replay of the raw archive', () => {
  it('starts from a lake that holds what was sent', async () => {
    const contents = await readLake(lake);
    expect(contents.broken).toEqual([]);
    expect(contents.raw.map((record) => [record.delivery_id, record.status]).sort()).toEqual([
      ['msg_batch', 'accepted'],
      ['msg_dup', 'accepted'],
      ['msg_invalid', 'quarantined'],
      ['msg_single_0', 'accepted'],
      ['msg_single_1', 'accepted'],
      ['msg_single_2', 'accepted'],
      ['msg_single_3', 'accepted'],
    ]);
    const eventIds = new Set(contents.rows.map(({ row }) => row.event_id));
    expect(eventIds.has('evt-nps-bad')).toBe(false);
    // Each copy of the redelivered event was received at its own time: the views keep the latest.
    const redelivered = contents.rows.filter(({ row }) => row.event_id === 'evt-ces-1');
    expect(new Set(redelivered.map(({ row }) => row.received_at)).size).toBe(redelivered.length);
    expect(eventIds.size).toBe(9);
    // The batch's rows land in several tables and partitions.
    const batchEvents = new Set(['evt-sub-2', 'evt-sub-3', 'evt-nps-2', 'evt-acct-2']);
    const batchFiles = contents.rows
      .filter(({ row }) => batchEvents.has(String(row.event_id)))
      .map(({ file }) => file.split('/').slice(1, 3));
    expect(new Set(batchFiles.map(([table]) => table)).size).toBe(4);
    expect(new Set(batchFiles.map(([, partition]) => partition)).size).toBe(2);
    // The server merges the rows of many deliveries into one file per partition.
    expect([...ingested.keys()].every((file) => /\/merged-[0-9a-f]{32}\.jsonl$/.test(file))).toBe(true);
  });

  it('rewrites the same rows as one file per delivery, and exactly the same files when run twice', async () => {
    const first = await replay();
    replayed = await snapshotFiles(tables);
    const deliveryFiles = [...replayed.keys()];
    expect(first).toMatchObject({
      rawRecords: 7,
      replayed: 6,
      events: 9,
      skippedQuarantined: 1,
      failed: [],
      tableObjectsWritten: deliveryFiles.length,
      tableObjectsDeleted: ingested.size,
    });
    const batchKey = deliveryKey('generic', 'msg_batch');
    expect(deliveryFiles.filter((file) => file.endsWith(`/generic-${batchKey}.jsonl`))).toHaveLength(5);
    expect(deliveryFiles.every((file) => /\/generic-[0-9a-f]{32}\.jsonl$/.test(file))).toBe(true);
    expect(latestRows(replayed)).toEqual(latestRows(ingested));
    await replay();
    expect(await snapshotFiles(tables)).toEqual(replayed);
  });

  it('rebuilds the tables folder from nothing (through the CLI)', async () => {
    await rm(tables, { recursive: true });
    expect((await snapshotFiles(tables)).size).toBe(0);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bin/cs-pulse.ts', 'replay', '--json'],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, CS_PULSE_HOME: home.root, CS_PULSE_SECRET_GENERIC: TEST_GENERIC_SECRET },
      },
    );
    expect(JSON.parse(stdout)).toMatchObject({ replayed: 6, failed: [], tableObjectsWritten: replayed.size });
    expect(await snapshotFiles(tables)).toEqual(replayed);
  });

  it('deletes a table file no archived body produces', async () => {
    const strayFolder = path.join(tables, 'survey_responses', 'dt=2025-06-01');
    const stray = path.join(strayFolder, 'generic-0123456789abcdef0123456789abcdef.jsonl');
    await mkdir(strayFolder, { recursive: true });
    await writeFile(stray, '{"source":"generic","event_id":"evt-gone"}\n');
    // Written by an earlier mapping, before this replay started (replay spares files newer than itself).
    const anHourAgo = new Date(Date.now() - 3600_000);
    await utimes(stray, anHourAgo, anHourAgo);
    expect((await snapshotFiles(tables)).size).toBe(replayed.size + 1);

    const report = await replay();
    expect(report.tableObjectsDeleted).toBe(1);
    expect(await snapshotFiles(tables)).toEqual(replayed);
  });
});

describe("a home's own mapping file", () => {
  it('maps what npm start takes and what npm run replay rebuilds alike, with CS_PULSE_CONFIG unset', async () => {
    const temp = await withTempHome();
    try {
      // What `npm run demo -- --vendors` leaves: the mapping in the home, not in the working directory.
      await writeFile(
        path.join(temp.root, 'cs-pulse.config.json'),
        JSON.stringify({ sources: { delighted: { account_properties: ['org_id'] } } }),
      );
      const secret = 'dlx-home-config-test-key-0123456789';
      const event = JSON.parse(await fixture('delighted', 'survey-response-created.json'));
      event.event_data.person_properties = { org_id: 'org-77' };
      const body = JSON.stringify(event);
      const app = await startTestApp({ home: temp.root, env: { CS_PULSE_SECRET_DELIGHTED: secret } });
      try {
        const response = await app.post('/webhooks/delighted', body, delightedHeaders(secret, body));
        expect(response.status).toBe(202);
      } finally {
        await app.stop();
      }
      const accounts = async () => (await surveyRows(temp.root)).map((row) => row.account_id);
      expect(await accounts()).toEqual(['org-77']);

      await rm(path.join(temp.root, 'lake', 'tables'), { recursive: true });
      const { CS_PULSE_CONFIG: _unset, ...environment } = process.env;
      await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bin/cs-pulse.ts', 'replay'], {
        cwd: REPO_ROOT,
        env: { ...environment, CS_PULSE_HOME: temp.root },
      });
      expect(await accounts()).toEqual(['org-77']);
    } finally {
      await temp.cleanup();
    }
  });
});
