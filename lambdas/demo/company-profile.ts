/**
 * The simulated company's shape: plans, prices, customer mix and the rates that drive its history. Every number the
 * simulation uses is here, so docs/demo.md can describe the company and a reader can change it in one place.
 */

export const PLANS = ['starter', 'growth', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

export interface PlanProfile {
  /** Share of new signups on this plan. */
  readonly signupWeight: number;
  /** List price per seat per month, in USD. */
  readonly pricePerSeat: number;
  /** Seats at signup, drawn uniformly. */
  readonly seats: readonly [number, number];
  /** Monthly probability of cancelling before sentiment and effort are taken into account. */
  readonly baseMonthlyChurn: number;
  /** Support tickets a month, on average. */
  readonly ticketsPerMonth: number;
  /** People an NPS wave asks at this account. */
  readonly npsContacts: number;
  /** How the plan shifts an account's sentiment (bigger plans get onboarding and a CSM). */
  readonly sentimentShift: number;
  readonly sizeBands: readonly string[];
}

export const PLAN_PROFILES: Readonly<Record<Plan, PlanProfile>> = {
  starter: {
    signupWeight: 0.56,
    pricePerSeat: 15,
    seats: [2, 12],
    baseMonthlyChurn: 0.032,
    ticketsPerMonth: 0.5,
    npsContacts: 1,
    sentimentShift: -0.1,
    sizeBands: ['1-10', '11-50'],
  },
  growth: {
    signupWeight: 0.32,
    pricePerSeat: 35,
    seats: [10, 60],
    baseMonthlyChurn: 0.016,
    ticketsPerMonth: 1.3,
    npsContacts: 2,
    sentimentShift: 0.1,
    sizeBands: ['11-50', '51-200'],
  },
  enterprise: {
    signupWeight: 0.12,
    pricePerSeat: 70,
    seats: [60, 400],
    baseMonthlyChurn: 0.006,
    ticketsPerMonth: 3.5,
    npsContacts: 3,
    sentimentShift: 0.3,
    sizeBands: ['201-1000', '1000+'],
  },
};

export const REGION_WEIGHTS = { amer: 0.46, emea: 0.34, apac: 0.2 } as const;

export const INDUSTRY_WEIGHTS = {
  software: 0.3,
  fintech: 0.16,
  healthcare: 0.14,
  retail: 0.14,
  education: 0.12,
  manufacturing: 0.14,
} as const;

/** The currency every subscription bills in. */
export const CURRENCY = 'USD';

/** Signups: the first month holds the book the company already had; later months grow by this factor each. */
export const SIGNUPS = {
  existingBookShare: 0.14,
  monthlyGrowth: 0.045,
} as const;

/**
 * How the latest answers move the monthly churn probability. The ratios are the story the demo tells: detractors
 * and accounts that found support hard churn several times more often than promoters and easy ones.
 */
export const CHURN_MULTIPLIERS = {
  nps: { detractor: 3, passive: 1, promoter: 0.45 },
  /** CES 1–3: it was hard; 6–7: it was easy. */
  ces: { high_effort: 2.2, neutral: 1, low_effort: 0.75 },
} as const;

/** Survey and support rates. */
export const SURVEY_RATES = {
  /** Relationship NPS is asked of each active account once a quarter. */
  npsEveryMonths: 3,
  npsResponseRate: 0.32,
  /** Share of support tickets whose requester answers the satisfaction rating (CSAT). */
  csatResponseRate: 0.24,
  /** Share of support tickets followed by an answered effort survey (CES). */
  cesAfterTicketRate: 0.18,
  /** Share of new accounts that answer the onboarding effort survey a month in. */
  onboardingCesRate: 0.45,
  /** Share of answers that come with a comment. */
  commentRate: 0.3,
} as const;

/** Seat changes and plan moves, per account and month. */
export const EXPANSION_RATES = {
  seatExpansion: 0.045,
  seatContraction: 0.02,
  upgrade: 0.01,
  downgrade: 0.004,
} as const;

/** A churned account may come back: this chance each month, for up to a year after it left. */
export const REACTIVATION = { monthlyChance: 0.022, withinMonths: 12 } as const;

/** How much an account's mood drifts from month to month, and how strongly it returns to its own baseline. */
export const SENTIMENT_DRIFT = { deviation: 0.22, reversion: 0.15 } as const;
