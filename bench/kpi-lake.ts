import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CHURN_MULTIPLIERS,
  INDUSTRY_WEIGHTS,
  PLAN_PROFILES,
  PLANS,
  REACTIVATION,
  REGION_WEIGHTS,
} from '../lambdas/demo/company-profile.js';
import { SeededRandom } from '../lambdas/demo/seeded-random.js';
import type { CanonicalEvent } from '../lambdas/domain/canonical-events.js';
import { deliveryKey, LAKE_TABLES, type LakeTable } from '../lambdas/lake/layout.js';
import { fastTableObjects, sameAsIngest } from './fast-table-rows.js';

/**
 * A generated lake for the KPI benchmark: a SaaS company's accounts, subscriptions and survey responses over 24
 * months, written straight into the lake's table files as ingest's `tableObjectsOf` writes them (checked on every
 * 50th delivery), one delivery of 100–500 events at a time, without HTTP. Generated once per size and kept under .bench/, because a 10M-event
 * lake takes minutes to write; bump GENERATOR_VERSION whenever the output changes.
 */
export const GENERATOR_VERSION = 1;

/** History ends here (exclusive): fixed, so every run aggregates the same lake as of the same instant. */
export const LAKE_END = new Date('2026-12-01T00:00:00Z');
export const LAKE_MONTHS = 24;

export interface LakeManifest {
  readonly generatorVersion: number;
  /** Canonical events delivered, counting the re-sent copies. */
  readonly events: number;
  /** Of which re-sent copies of an event already delivered in an earlier batch (the views drop them). */
  readonly duplicates: number;
  readonly accounts: number;
  readonly deliveries: number;
  readonly files: number;
  readonly bytes: number;
  readonly rows: Readonly<Record<LakeTable, number>>;
  readonly eventsByType: Readonly<Record<string, number>>;
  readonly from: string;
  readonly to: string;
  readonly generationSeconds: number;
}

export interface GeneratedLake {
  /** The lake root: `tables/<table>/dt=…/…jsonl` below it. */
  readonly root: string;
  readonly manifest: LakeManifest;
  /** Whether this call generated it (false: it came from the cache). */
  readonly generated: boolean;
}

/**
 * Per active account and month: how many events of each kind, by plan. Survey volume is the bulk, as with
 * transactional CSAT/CES after support tickets plus a quarterly relationship NPS: about 87 % of the events are survey
 * responses, 8 % subscription starts, changes, cancellations and reactivations, 5 % account updates.
 */
const MONTHLY = {
  starter: { csat: 0.6, ces: 0.4, nps: 0.11 },
  growth: { csat: 1.5, ces: 1, nps: 0.32 },
  enterprise: { csat: 3.6, ces: 2.4, nps: 0.85 },
} as const;
const SEAT_EXPANSION = 0.06;
const SEAT_CONTRACTION = 0.03;
const PLAN_CHANGE = 0.015;
/** Account renames and attribute edits: an account.updated without a subscription change. */
const ACCOUNT_EDIT = 0.02;
/** Share of events a sender delivers a second time in a later batch (a retry after a timeout). */
const DUPLICATE_SHARE = 0.01;
/** Measured events per account for this generator (re-measure when the rates change), to size the company. */
const EVENTS_PER_ACCOUNT = 32.15;
const COMMENTS = [
  'Great support',
  'Too slow',
  'Hard to find the export',
  'Love the dashboards',
  'Billing confusing',
];
const TOUCHPOINTS = ['support-ticket', 'chat', 'onboarding'];

const DAY_MS = 24 * 3600 * 1000;
const DAYS_PER_MONTH = 30.44;

/** The cached lake for this many events, generated first when there is none. */
export async function generatedLake(
  cacheFolder: string,
  events: number,
  log: (line: string) => void,
): Promise<GeneratedLake> {
  const folder = path.join(cacheFolder, `kpi-lake-v${GENERATOR_VERSION}-${events}`);
  const manifestFile = path.join(folder, 'manifest.json');
  if (existsSync(manifestFile)) {
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as LakeManifest;
    return { root: path.join(folder, 'lake'), manifest, generated: false };
  }
  // Written beside its final place and renamed once complete, so an interrupted run never leaves half a lake cached.
  const partial = `${folder}.partial`;
  await rm(partial, { recursive: true, force: true });
  await rm(folder, { recursive: true, force: true });
  log(
    `  generating a lake of ${events.toLocaleString('en-US')} events (cached in ${path.basename(folder)})…`,
  );
  const manifest = await generateLake(path.join(partial, 'lake'), events);
  await writeFile(path.join(partial, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(partial, folder);
  log(
    `    ${manifest.files.toLocaleString('en-US')} files, ${(manifest.bytes / 1024 ** 2).toFixed(0)} MiB in ${manifest.generationSeconds.toFixed(0)} s`,
  );
  return { root: path.join(folder, 'lake'), manifest, generated: true };
}

type PlanName = (typeof PLANS)[number];

interface Account {
  readonly number: number;
  readonly id: string;
  readonly region: string;
  readonly industry: string;
  readonly signupDay: number;
  readonly sentiment: number;
  plan: PlanName;
  seats: number;
  subscriptionNumber: number;
  /** Active subscription, or the day it was canceled. */
  active: boolean;
  canceledDay: number;
  lastNps: number | undefined;
  /** Monthly rates of csat, ces, nps, seat expansion, seat contraction, plan change, account edit, churn. */
  weights: number[];
  /** Chance of a day without any event: e^-(daily rate). */
  quietChance: number;
}

/** Recomputes an account's event rates after its plan or latest NPS answer changed. */
function refreshRates(account: Account): void {
  const rates = MONTHLY[account.plan];
  const churn =
    PLAN_PROFILES[account.plan].baseMonthlyChurn *
    (account.lastNps === undefined
      ? 1
      : account.lastNps >= 9
        ? CHURN_MULTIPLIERS.nps.promoter
        : account.lastNps >= 7
          ? CHURN_MULTIPLIERS.nps.passive
          : CHURN_MULTIPLIERS.nps.detractor);
  account.weights = [
    rates.csat,
    rates.ces,
    rates.nps,
    SEAT_EXPANSION,
    SEAT_CONTRACTION,
    PLAN_CHANGE,
    ACCOUNT_EDIT,
    churn,
  ];
  const total = account.weights.reduce((sum, weight) => sum + weight, 0);
  account.quietChance = Math.exp(-total / DAYS_PER_MONTH);
}

/** Simulates day by day, sorts each day's events by time and cuts the stream into deliveries. */
export async function generateLake(root: string, targetEvents: number): Promise<LakeManifest> {
  const began = performance.now();
  const random = new SeededRandom(`cs-pulse kpi bench v${GENERATOR_VERSION} ${targetEvents}`);
  const start = new Date(LAKE_END);
  start.setUTCMonth(start.getUTCMonth() - LAKE_MONTHS);
  const days = Math.round((LAKE_END.getTime() - start.getTime()) / DAY_MS);
  const accountCount = Math.max(10, Math.round(targetEvents / EVENTS_PER_ACCOUNT));
  const signupDays = signupSchedule(random, accountCount, days);

  const writer = new LakeWriter(root);
  const eventsByType: Record<string, number> = {};
  let nextEventNumber = 0;
  let duplicates = 0;
  let pending: CanonicalEvent[] = [];
  let nextDeliverySize = random.integer(100, 500);
  let deliveryNumber = 0;
  const deliver = async (batch: CanonicalEvent[]) => {
    deliveryNumber += 1;
    const latest = batch.reduce((max, event) => Math.max(max, Date.parse(event.occurred_at)), 0);
    // Received a few minutes after its latest event, never after the end of history.
    const receivedAt = new Date(
      Math.max(latest, Math.min(latest + random.integer(60, 900) * 1000, LAKE_END.getTime() - 1)),
    );
    const key = deliveryKey('generic', `bench-${deliveryNumber}`);
    if (deliveryNumber % 50 === 1 && !sameAsIngest('generic', key, batch, receivedAt)) {
      throw new Error(
        `delivery ${deliveryNumber}: the generated rows differ from what tableObjectsOf writes`,
      );
    }
    await writer.write(fastTableObjects('generic', key, batch, receivedAt));
  };

  const live: Account[] = [];
  let signedUp = 0;
  for (let day = 0; day < days; day += 1) {
    const dayStart = start.getTime() + day * DAY_MS;
    const today: CanonicalEvent[] = [];
    const at = () => new Date(dayStart + Math.floor(random.next() * DAY_MS)).toISOString();
    const emit = (event: CanonicalEvent) => {
      today.push(event);
      eventsByType[event.type] = (eventsByType[event.type] ?? 0) + 1;
    };
    const nextId = () => `evt_${(nextEventNumber++).toString(36)}`;
    const mrrOf = (account: Account) => account.seats * PLAN_PROFILES[account.plan].pricePerSeat;
    const subscription = (account: Account, type: 'started' | 'changed', occurredAt: string) =>
      emit({
        id: nextId(),
        type: `subscription.${type}`,
        occurred_at: occurredAt,
        account_id: account.id,
        data: {
          mrr: mrrOf(account),
          currency: 'USD',
          subscription_id: `sub_${account.number}_${account.subscriptionNumber}`,
        },
      });

    while (signedUp < accountCount && signupDays[signedUp]! <= day) {
      const account = newAccount(random, signedUp + 1, day);
      signedUp += 1;
      live.push(account);
      const occurredAt = at();
      emit({
        id: nextId(),
        type: 'account.updated',
        occurred_at: occurredAt,
        account_id: account.id,
        data: {
          name: `Company ${account.number}`,
          plan: account.plan,
          attributes: { region: account.region, industry: account.industry },
        },
      });
      subscription(account, 'started', occurredAt);
    }

    let kept = 0;
    for (const account of live) {
      if (!account.active) {
        if (day - account.canceledDay > REACTIVATION.withinMonths * DAYS_PER_MONTH) continue; // gone for good
        live[kept++] = account;
        if (random.next() < REACTIVATION.monthlyChance / DAYS_PER_MONTH) {
          account.active = true;
          account.subscriptionNumber += 1;
          account.lastNps = undefined;
          refreshRates(account);
          subscription(account, 'started', at());
        }
        continue;
      }
      live[kept++] = account;
      // Most account-days have no event: one draw decides (the first step of Knuth's Poisson draw).
      if (random.next() <= account.quietChance) continue;
      let count = 1;
      for (let product = random.next(); product > account.quietChance; product *= random.next()) count += 1;
      const weights = account.weights;
      const rates = MONTHLY[account.plan];
      for (let index = 0; index < count && account.active; index += 1) {
        const occurredAt = at();
        const noise = random.normal(0, 1);
        switch (random.weightedIndex(weights)) {
          case 0:
          case 1:
          case 2: {
            const kind = random.weightedIndex([rates.csat, rates.ces, rates.nps]);
            const survey = (['csat', 'ces', 'nps'] as const)[kind]!;
            const score =
              survey === 'nps'
                ? clamp(Math.round(7.8 + 1.8 * account.sentiment + 1.3 * noise), 0, 10)
                : survey === 'ces'
                  ? clamp(Math.round(5.1 + 1.1 * account.sentiment + 0.9 * noise), 1, 7)
                  : clamp(Math.round(4.1 + 0.7 * account.sentiment + 0.7 * noise), 1, 5);
            if (survey === 'nps') {
              account.lastNps = score;
              refreshRates(account);
            }
            emit({
              id: nextId(),
              type: 'survey.responded',
              occurred_at: occurredAt,
              account_id: account.id,
              data: {
                survey,
                score,
                respondent_id: `${account.id}_c${random.integer(1, 6)}`,
                touchpoint: survey === 'nps' ? 'relationship' : random.pick(TOUCHPOINTS),
                ...(random.chance(0.3) ? { comment: random.pick(COMMENTS) } : {}),
              },
            });
            break;
          }
          case 3:
            account.seats += Math.max(1, Math.round(account.seats * (0.1 + 0.3 * random.next())));
            subscription(account, 'changed', occurredAt);
            break;
          case 4:
            account.seats = Math.max(1, account.seats - Math.max(1, Math.round(account.seats * 0.15)));
            subscription(account, 'changed', occurredAt);
            break;
          case 5: {
            const index = PLANS.indexOf(account.plan);
            account.plan = PLANS[index === PLANS.length - 1 ? index - 1 : index + 1]!;
            refreshRates(account);
            emit({
              id: nextId(),
              type: 'account.updated',
              occurred_at: occurredAt,
              account_id: account.id,
              data: { plan: account.plan },
            });
            subscription(account, 'changed', occurredAt);
            break;
          }
          case 6:
            emit({
              id: nextId(),
              type: 'account.updated',
              occurred_at: occurredAt,
              account_id: account.id,
              data: { name: `Company ${account.number} ${random.hex(4)}` },
            });
            break;
          default: {
            // Notice during the month, service to the end of the paid month.
            const effective = new Date(occurredAt);
            effective.setUTCMonth(effective.getUTCMonth() + 1, 1);
            effective.setUTCHours(0, 0, 0, 0);
            emit({
              id: nextId(),
              type: 'subscription.canceled',
              occurred_at: occurredAt,
              account_id: account.id,
              data: {
                effective_at: effective.toISOString(),
                subscription_id: `sub_${account.number}_${account.subscriptionNumber}`,
              },
            });
            account.active = false;
            account.canceledDay = day;
          }
        }
      }
    }
    live.length = kept;

    today.sort((a, b) => (a.occurred_at < b.occurred_at ? -1 : a.occurred_at > b.occurred_at ? 1 : 0));
    for (const event of today) {
      pending.push(event);
      if (random.chance(DUPLICATE_SHARE)) {
        pending.push(event); // the retry lands in this or the next delivery, under another delivery key
        duplicates += 1;
      }
    }
    while (pending.length >= nextDeliverySize) {
      await deliver(pending.slice(0, nextDeliverySize));
      pending = pending.slice(nextDeliverySize);
      nextDeliverySize = random.integer(100, 500);
    }
  }
  if (pending.length > 0) await deliver(pending);
  await writer.flush();

  const uniqueEvents = Object.values(eventsByType).reduce((sum, count) => sum + count, 0);
  return {
    generatorVersion: GENERATOR_VERSION,
    events: uniqueEvents + duplicates,
    duplicates,
    accounts: accountCount,
    deliveries: deliveryNumber,
    files: writer.files,
    bytes: writer.bytes,
    rows: writer.rows,
    eventsByType,
    from: start.toISOString().slice(0, 10),
    to: LAKE_END.toISOString().slice(0, 10),
    generationSeconds: (performance.now() - began) / 1000,
  };
}

/** Signup day of each account, in order: 14 % of the book is there in the first month, then 4.5 % growth a month. */
function signupSchedule(random: SeededRandom, count: number, days: number): number[] {
  const months = Math.ceil(days / DAYS_PER_MONTH);
  const growth = Array.from({ length: months }, (_, month) => 1.045 ** month);
  const existing = Math.round(count * 0.14);
  const result: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const month = index < existing ? 0 : random.weightedIndex(growth);
    result.push(Math.min(days - 1, Math.floor((month + random.next()) * DAYS_PER_MONTH)));
  }
  return result.sort((a, b) => a - b);
}

function newAccount(random: SeededRandom, number: number, day: number): Account {
  const plan = random.weighted({
    starter: PLAN_PROFILES.starter.signupWeight,
    growth: PLAN_PROFILES.growth.signupWeight,
    enterprise: PLAN_PROFILES.enterprise.signupWeight,
  });
  const [low, high] = PLAN_PROFILES[plan].seats;
  const account: Account = {
    number,
    id: `acct_${number}`,
    region: random.weighted(REGION_WEIGHTS),
    industry: random.weighted(INDUSTRY_WEIGHTS),
    signupDay: day,
    sentiment: random.normal(PLAN_PROFILES[plan].sentimentShift, 0.7),
    plan,
    seats: random.integer(low, high),
    subscriptionNumber: 1,
    active: true,
    canceledDay: -1,
    lastNps: undefined,
    weights: [],
    quietChance: 1,
  };
  refreshRates(account);
  return account;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** Writes table files with a bounded number of writes in flight, counting rows and bytes per table. */
class LakeWriter {
  files = 0;
  bytes = 0;
  readonly rows: Record<LakeTable, number> = Object.fromEntries(LAKE_TABLES.map((t) => [t, 0])) as Record<
    LakeTable,
    number
  >;
  private readonly folders = new Set<string>();
  private inFlight: Promise<void>[] = [];

  constructor(private readonly root: string) {}

  async write(objects: readonly { key: string; body: string | Uint8Array }[]): Promise<void> {
    for (const object of objects) {
      const file = path.join(this.root, object.key);
      const folder = path.dirname(file);
      if (!this.folders.has(folder)) {
        await mkdir(folder, { recursive: true });
        this.folders.add(folder);
      }
      const body = typeof object.body === 'string' ? object.body : Buffer.from(object.body).toString('utf8');
      const table = object.key.split('/')[1] as LakeTable;
      this.rows[table] += countLines(body);
      this.files += 1;
      this.bytes += Buffer.byteLength(body);
      this.inFlight.push(writeFile(file, body));
      if (this.inFlight.length >= 64) await this.flush();
    }
  }

  async flush(): Promise<void> {
    const writes = this.inFlight;
    this.inFlight = [];
    await Promise.all(writes);
  }
}

function countLines(text: string): number {
  let count = 0;
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) count += 1;
  return count;
}
