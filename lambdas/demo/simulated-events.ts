import type { SurveyType } from '../domain/canonical-events.js';
import type { Plan } from './company-profile.js';

/**
 * What happened at the simulated company, in the company's own terms. The generic and the vendor deliveries are two
 * renderings of these same facts, so both modes put the same company into the lake.
 */

export interface SimulatedAccount {
  /** The account id every source resolves to: `acct_<number>`. */
  readonly id: string;
  /** The company's number in the CRM (HubSpot's object id); the account id is built from it. */
  readonly number: number;
  readonly name: string;
  /** Web domain, for contacts' e-mail addresses. */
  readonly domain: string;
  /** The plan at signup. */
  readonly plan: Plan;
  readonly region: string;
  readonly industry: string;
  readonly sizeBand: string;
  readonly signedUpAt: Date;
}

export interface SimulatedContact {
  /** A numeric id, as survey and support tools give people. */
  readonly id: string;
  readonly name: string;
  readonly email: string;
}

interface Base {
  /** Unique across the whole simulation; stable for a seed. */
  readonly id: string;
  readonly at: Date;
  readonly accountId: string;
}

export interface AccountChange extends Base {
  readonly kind: 'account';
  readonly account: SimulatedAccount;
  readonly name?: string;
  readonly plan?: Plan;
  readonly attributes?: Readonly<Record<string, string>>;
}

export interface SubscriptionChange extends Base {
  readonly kind: 'subscription';
  readonly type: 'started' | 'changed' | 'canceled';
  readonly subscriptionId: string;
  /** When this subscription started (its billing anchor). */
  readonly subscriptionStartedAt: Date;
  readonly plan: Plan;
  readonly seats: number;
  readonly pricePerSeat: number;
  /** Seats × price: the MRR after the event (for a cancellation, the MRR that is leaving). */
  readonly mrr: number;
  readonly currency: string;
  /** For a change: what it was before. */
  readonly previous?: { readonly plan: Plan; readonly seats: number; readonly pricePerSeat: number };
  /** For a cancellation: when service ends (the end of the paid month); may lie after now. */
  readonly effectiveAt?: Date;
}

export interface SurveyAnswer extends Base {
  readonly kind: 'survey';
  readonly survey: SurveyType;
  /** NPS 0–10, CES 1–7, CSAT 1–5. */
  readonly score: number;
  readonly respondent: SimulatedContact;
  readonly touchpoint: 'relationship' | 'onboarding' | 'support-ticket';
  /** The support ticket a CSAT or CES answer follows. */
  readonly ticketId?: number;
  readonly comment?: string;
}

export type SimulatedEvent = AccountChange | SubscriptionChange | SurveyAnswer;
