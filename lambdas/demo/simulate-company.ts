import {
  CHURN_MULTIPLIERS,
  CURRENCY,
  EXPANSION_RATES,
  INDUSTRY_WEIGHTS,
  PLAN_PROFILES,
  PLANS,
  type Plan,
  REACTIVATION,
  REGION_WEIGHTS,
  SENTIMENT_DRIFT,
  SIGNUPS,
  SURVEY_RATES,
} from './company-profile.js';
import { SeededRandom } from './seeded-random.js';
import type {
  SimulatedAccount,
  SimulatedContact,
  SimulatedEvent,
  SubscriptionChange,
  SurveyAnswer,
} from './simulated-events.js';

export interface SimulationOptions {
  /** Any text; the same seed, sizes and current month give the same company. */
  readonly seed: string;
  /** Accounts that sign up over the whole history. */
  readonly accounts: number;
  /** Months of history, ending with the month of `now`. */
  readonly months: number;
  /** The end of history: nothing happens at or after it (a cancellation may take effect later). */
  readonly now: Date;
}

export interface SimulatedCompany {
  readonly options: SimulationOptions;
  /** First day of the first simulated month. */
  readonly start: Date;
  readonly accounts: readonly SimulatedAccount[];
  /** Every event, in time order. */
  readonly events: readonly SimulatedEvent[];
}

/** The first account's number: ids run acct_10001, acct_10002… in signup order. */
const FIRST_ACCOUNT_NUMBER = 10_001;
const FIRST_TICKET_ID = 40_001;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * Simulates a B2B SaaS company month by month. Each account has a sentiment (how much it likes the product) that
 * drifts, and an effort trait (how easy it finds getting help); its survey answers are noisy readings of both, and
 * its monthly chance of cancelling is its plan's base rate scaled by its latest NPS category and CES answer
 * (CHURN_MULTIPLIERS), so low NPS and high effort visibly come before churn.
 */
export function simulateCompany(options: SimulationOptions): SimulatedCompany {
  if (!Number.isInteger(options.accounts) || options.accounts < 1) throw new Error('accounts must be ≥ 1');
  if (!Number.isInteger(options.months) || options.months < 1) throw new Error('months must be ≥ 1');
  const random = new SeededRandom(options.seed);
  const end = options.now;
  const start = addMonths(startOfMonth(end), -(options.months - 1));

  const signups = signupTimes(random, options.accounts, options.months, start, end);
  const accounts = signups.map((signedUpAt, index) =>
    newAccount(random, FIRST_ACCOUNT_NUMBER + index, signedUpAt),
  );
  const events: SimulatedEvent[] = [];
  const tickets = { next: FIRST_TICKET_ID };
  // Every history runs to the end of the current month and is cut at now afterwards, so the random draws do not
  // depend on the time of day: a later run in the same month sees the same company, further along.
  const horizon = addMonths(startOfMonth(end), 1);
  for (const account of accounts) {
    for (const event of accountHistory(random, account, horizon, tickets)) {
      if (event.at.getTime() < end.getTime()) events.push(event);
    }
  }
  events.sort((a, b) => a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { options, start, accounts, events };
}

function signupTimes(random: SeededRandom, count: number, months: number, start: Date, end: Date): Date[] {
  const growth = Array.from({ length: months }, (_, month) => (1 + SIGNUPS.monthlyGrowth) ** month);
  const existing = months > 1 ? Math.round(count * SIGNUPS.existingBookShare) : 0;
  const times: Date[] = [];
  for (let index = 0; index < count; index += 1) {
    const month = index < existing ? 0 : random.weightedIndex(growth);
    const from = addMonths(start, month).getTime();
    const to = Math.min(addMonths(start, month + 1).getTime(), end.getTime());
    // Whole seconds: vendors send seconds, and both modes should carry the same instants.
    times.push(new Date(Math.floor((from + random.next() * (to - from)) / 1000) * 1000));
  }
  return times.sort((a, b) => a.getTime() - b.getTime());
}

const NAME_STARTS = [
  'North',
  'Bright',
  'Blue',
  'Silver',
  'Clear',
  'Iron',
  'Swift',
  'Green',
  'Red',
  'Stone',
  'Cloud',
  'Pine',
  'Harbor',
  'Summit',
  'River',
  'Oak',
  'Lumen',
  'Nova',
  'Vector',
  'Atlas',
  'Cedar',
  'Maple',
  'Orbit',
  'Polar',
  'Quartz',
  'Sol',
];
const NAME_ENDS = [
  'wave',
  'peak',
  'field',
  'bridge',
  'stack',
  'works',
  'line',
  'path',
  'light',
  'gate',
  'forge',
  'leaf',
  'point',
  'shore',
  'wind',
  'mark',
  'base',
  'loop',
  'grid',
  'well',
];
const NAME_SUFFIXES = [
  'Labs',
  'Analytics',
  'Systems',
  'Health',
  'Logistics',
  'Studio',
  'Group',
  'Inc.',
  'GmbH',
  'Ltd',
];
const FIRST_NAMES = [
  'Ada',
  'Ben',
  'Chloe',
  'Dev',
  'Elena',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kemi',
  'Liam',
  'Maya',
  'Noah',
  'Olga',
  'Priya',
  'Quinn',
  'Rosa',
  'Sami',
  'Tara',
  'Umar',
  'Vera',
  'Wei',
  'Yara',
  'Zoe',
];
const LAST_NAMES = [
  'Okafor',
  'Schmidt',
  'Tanaka',
  'Garcia',
  'Novak',
  'Haddad',
  'Larsen',
  'Moreau',
  'Silva',
  'Kowalski',
  'Chen',
  'Murphy',
  'Rossi',
  'Singh',
  'Johansson',
  'Dubois',
];

function newAccount(random: SeededRandom, number: number, signedUpAt: Date): SimulatedAccount {
  const plan = random.weighted(
    Object.fromEntries(PLANS.map((plan) => [plan, PLAN_PROFILES[plan].signupWeight])) as Record<Plan, number>,
  );
  const stem = `${random.pick(NAME_STARTS)}${random.pick(NAME_ENDS)}`;
  return {
    id: `acct_${number}`,
    number,
    name: `${stem} ${random.pick(NAME_SUFFIXES)}`,
    domain: `${stem.toLowerCase()}-${number}.example`,
    plan,
    region: random.weighted(REGION_WEIGHTS),
    industry: random.weighted(INDUSTRY_WEIGHTS),
    sizeBand: random.pick(PLAN_PROFILES[plan].sizeBands),
    signedUpAt,
  };
}

const COMMENTS = {
  good: [
    'Setup took minutes.',
    'Support answered within the hour, thanks!',
    'The new reports save us a day every month.',
    'Does exactly what we need.',
    'Great onboarding.',
  ],
  neutral: [
    'Fine overall, the mobile app could be better.',
    'Good product, pricing is a bit steep.',
    'Works, but the export is clunky.',
  ],
  bad: [
    'Too expensive for what we use.',
    'It took three tickets to fix one problem.',
    'The integration keeps breaking.',
    'Hard to find anything in the settings.',
    'We are evaluating alternatives.',
  ],
};

/** One account's whole life: signup, monthly support, surveys, seat and plan moves, churn and perhaps a return. */
function accountHistory(
  random: SeededRandom,
  account: SimulatedAccount,
  horizon: Date,
  tickets: { next: number },
): SimulatedEvent[] {
  const events: SimulatedEvent[] = [];
  let sequence = 0;
  const nextId = (kind: string) => {
    sequence += 1;
    return `${kind}-${account.number}-${String(sequence).padStart(3, '0')}`;
  };
  const contacts: SimulatedContact[] = [];
  const contact = (index: number): SimulatedContact => {
    while (contacts.length <= index) {
      const first = random.pick(FIRST_NAMES);
      const last = random.pick(LAST_NAMES);
      contacts.push({
        id: String(account.number * 100 + contacts.length),
        name: `${first} ${last}`,
        email: `${first}.${last}@${account.domain}`.toLowerCase(),
      });
    }
    return contacts[index]!;
  };

  let plan = account.plan;
  let seats = random.integer(...PLAN_PROFILES[plan].seats);
  // Sentiment: z-score-like; the baseline is the account's character, the current value drifts around it.
  const baseline = random.normal(PLAN_PROFILES[plan].sentimentShift, 0.9);
  let sentiment = baseline + random.normal(0, 0.3);
  // Effort trait: positive means getting help is easy for them. Partly the same accounts that like the product.
  const effortTrait = 0.45 * baseline + random.normal(0, 0.85);
  let lastNps: number | undefined;
  let lastCes: number | undefined;

  events.push({
    kind: 'account',
    id: nextId('acc'),
    at: account.signedUpAt,
    accountId: account.id,
    account,
    name: account.name,
    plan,
    attributes: { region: account.region, industry: account.industry, size_band: account.sizeBand },
  });
  let subscriptionNumber = 0;
  let subscription: { id: string; startedAt: Date } | undefined;
  const subscriptionEvent = (
    type: SubscriptionChange['type'],
    at: Date,
    extra: Partial<SubscriptionChange> = {},
  ): SubscriptionChange => ({
    kind: 'subscription',
    type,
    id: nextId(`sub-${type}`),
    at,
    accountId: account.id,
    subscriptionId: subscription!.id,
    subscriptionStartedAt: subscription!.startedAt,
    plan,
    seats,
    pricePerSeat: PLAN_PROFILES[plan].pricePerSeat,
    mrr: seats * PLAN_PROFILES[plan].pricePerSeat,
    currency: CURRENCY,
    ...extra,
  });
  const startSubscription = (at: Date) => {
    subscriptionNumber += 1;
    subscription = { id: `sub_${account.number}_${subscriptionNumber}`, startedAt: at };
    events.push(subscriptionEvent('started', at));
  };
  startSubscription(new Date(account.signedUpAt.getTime() + 5 * MINUTE));

  const survey = (
    kind: SurveyAnswer['survey'],
    at: Date,
    score: number,
    respondent: SimulatedContact,
    touchpoint: SurveyAnswer['touchpoint'],
    ticketId?: number,
  ) => {
    const mood = kind === 'nps' ? score - 6.5 : kind === 'ces' ? score - 4 : score - 3;
    const pool = mood > 1.5 ? COMMENTS.good : mood < 0 ? COMMENTS.bad : COMMENTS.neutral;
    const answer: SurveyAnswer = {
      kind: 'survey',
      id: nextId(kind),
      at,
      accountId: account.id,
      survey: kind,
      score,
      respondent,
      touchpoint,
      ...(ticketId !== undefined ? { ticketId } : {}),
      ...(random.chance(SURVEY_RATES.commentRate) ? { comment: random.pick(pool) } : {}),
    };
    events.push(answer);
    if (kind === 'nps') lastNps = score;
    if (kind === 'ces') lastCes = score;
  };
  const npsScore = () => clamp(Math.round(8 + 1.7 * sentiment + random.normal(0, 1.2)), 0, 10);
  const cesScore = () =>
    clamp(Math.round(5.1 + 1.1 * (effortTrait + 0.3 * sentiment) + random.normal(0, 0.8)), 1, 7);
  const csatScore = () =>
    clamp(Math.round(4.1 + 0.6 * sentiment + 0.3 * effortTrait + random.normal(0, 0.7)), 1, 5);

  const onboarding = new Date(account.signedUpAt.getTime() + random.integer(20, 40) * DAY);
  const onboardingAnswers = random.chance(SURVEY_RATES.onboardingCesRate);

  const npsOffset = random.integer(0, SURVEY_RATES.npsEveryMonths - 1);
  let active = true;
  let inactiveMonths = 0;
  let periodStart = account.signedUpAt;
  for (let month = 0; periodStart.getTime() < horizon.getTime(); month += 1) {
    const periodEnd = addMonths(periodStart, 1);
    const from = periodStart.getTime();
    const span = periodEnd.getTime() - from;
    if (!active) {
      inactiveMonths += 1;
      if (inactiveMonths <= REACTIVATION.withinMonths && random.chance(REACTIVATION.monthlyChance)) {
        // A returning customer: a new subscription, a fresh start on sentiment and no stale survey answers.
        active = true;
        sentiment = baseline + 0.5;
        lastNps = undefined;
        lastCes = undefined;
        startSubscription(instantIn(random, from, span));
      }
      periodStart = periodEnd;
      continue;
    }

    sentiment +=
      SENTIMENT_DRIFT.reversion * (baseline - sentiment) + random.normal(0, SENTIMENT_DRIFT.deviation);
    const profile = PLAN_PROFILES[plan];

    if (month === 0 && onboardingAnswers) {
      survey('ces', onboarding, cesScore(), contact(0), 'onboarding');
    }
    const ticketCount = random.poisson(profile.ticketsPerMonth * (1 + 0.4 * Math.max(0, -sentiment)));
    for (let ticket = 0; ticket < ticketCount; ticket += 1) {
      const ticketId = tickets.next;
      tickets.next += 1;
      const at = instantIn(random, from, span);
      const requester = contact(random.integer(0, Math.max(profile.npsContacts, 3) - 1));
      if (random.chance(SURVEY_RATES.csatResponseRate)) {
        survey(
          'csat',
          new Date(at.getTime() + 2 * 3600_000),
          csatScore(),
          requester,
          'support-ticket',
          ticketId,
        );
      }
      if (random.chance(SURVEY_RATES.cesAfterTicketRate)) {
        survey(
          'ces',
          new Date(at.getTime() + 3 * 3600_000),
          cesScore(),
          requester,
          'support-ticket',
          ticketId,
        );
      }
    }
    if (month % SURVEY_RATES.npsEveryMonths === npsOffset) {
      for (let index = 0; index < profile.npsContacts; index += 1) {
        const at = instantIn(random, from, span);
        if (random.chance(SURVEY_RATES.npsResponseRate)) {
          survey('nps', at, npsScore(), contact(index), 'relationship');
        }
      }
    }

    // Seats and plans move with how the account feels.
    const moveAt = instantIn(random, from, span);
    const mood = clamp(sentiment, -1.5, 1.5);
    const previous = { plan, seats, pricePerSeat: profile.pricePerSeat };
    const planIndex = PLANS.indexOf(plan);
    if (planIndex < PLANS.length - 1 && random.chance(EXPANSION_RATES.upgrade * Math.max(0, 1 + mood))) {
      plan = PLANS[planIndex + 1]!;
      seats = Math.max(seats, PLAN_PROFILES[plan].seats[0]);
    } else if (planIndex > 0 && random.chance(EXPANSION_RATES.downgrade * Math.max(0, 1 - mood))) {
      plan = PLANS[planIndex - 1]!;
      seats = Math.min(seats, PLAN_PROFILES[plan].seats[1]);
    } else if (random.chance(EXPANSION_RATES.seatExpansion * Math.max(0, 1 + 0.8 * mood))) {
      seats += Math.max(1, Math.round(seats * (0.1 + 0.3 * random.next())));
    } else if (seats > 1 && random.chance(EXPANSION_RATES.seatContraction * Math.max(0, 1 - 0.8 * mood))) {
      seats -= Math.max(1, Math.round(seats * (0.1 + 0.2 * random.next())));
    }
    if (plan !== previous.plan || seats !== previous.seats) {
      if (plan !== previous.plan) {
        events.push({ kind: 'account', id: nextId('acc'), at: moveAt, accountId: account.id, account, plan });
      }
      events.push(subscriptionEvent('changed', new Date(moveAt.getTime() + MINUTE), { previous }));
    }

    const hazard = profile.baseMonthlyChurn * npsMultiplier(lastNps) * cesMultiplier(lastCes);
    if (random.chance(hazard)) {
      // Notice is given during the month; service runs to the end of the paid month.
      events.push(subscriptionEvent('canceled', instantIn(random, from, span), { effectiveAt: periodEnd }));
      active = false;
      inactiveMonths = 0;
    }
    periodStart = periodEnd;
  }
  return events;
}

export type NpsCategory = 'detractor' | 'passive' | 'promoter';
export type EffortCategory = 'high_effort' | 'neutral' | 'low_effort';

export function npsCategory(score: number): NpsCategory {
  return score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor';
}

export function effortCategory(score: number): EffortCategory {
  return score <= 3 ? 'high_effort' : score >= 6 ? 'low_effort' : 'neutral';
}

function npsMultiplier(score: number | undefined): number {
  return score === undefined ? 1 : CHURN_MULTIPLIERS.nps[npsCategory(score)];
}

function cesMultiplier(score: number | undefined): number {
  return score === undefined ? 1 : CHURN_MULTIPLIERS.ces[effortCategory(score)];
}

/** A whole second in [from, from + span). */
function instantIn(random: SeededRandom, from: number, span: number): Date {
  return new Date(Math.floor((from + random.next() * span) / 1000) * 1000);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

export function startOfMonth(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

/** The same day and time some months later; a day the month lacks (31 Jan + 1) becomes its last day. */
export function addMonths(at: Date, months: number): Date {
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(
      year,
      month,
      Math.min(at.getUTCDate(), lastDay),
      at.getUTCHours(),
      at.getUTCMinutes(),
      at.getUTCSeconds(),
      at.getUTCMilliseconds(),
    ),
  );
}
