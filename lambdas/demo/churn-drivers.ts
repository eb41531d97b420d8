import {
  type EffortCategory,
  effortCategory,
  type NpsCategory,
  npsCategory,
  type SimulatedCompany,
} from './simulate-company.js';

export interface ChurnShare {
  readonly accounts: number;
  readonly churned: number;
}

export interface ChurnDrivers {
  readonly nps: Readonly<Record<NpsCategory, ChurnShare>>;
  readonly effort: Readonly<Record<EffortCategory, ChurnShare>>;
}

/**
 * What the simulation was built to show, read back from its events: the share of accounts that cancelled, grouped
 * by their last NPS and last CES answer before cancelling (or before now, for those that stayed).
 */
export function churnDrivers(company: SimulatedCompany): ChurnDrivers {
  const latest = new Map<string, { nps?: number; ces?: number; canceled: boolean }>();
  for (const event of company.events) {
    const state = latest.get(event.accountId) ?? { canceled: false };
    latest.set(event.accountId, state);
    if (state.canceled) continue;
    if (event.kind === 'subscription' && event.type === 'canceled') state.canceled = true;
    if (event.kind === 'survey' && event.survey === 'nps') state.nps = event.score;
    if (event.kind === 'survey' && event.survey === 'ces') state.ces = event.score;
  }
  const empty = () => ({ accounts: 0, churned: 0 });
  const nps: Record<NpsCategory, ChurnShare> = { detractor: empty(), passive: empty(), promoter: empty() };
  const effort: Record<EffortCategory, ChurnShare> = {
    high_effort: empty(),
    neutral: empty(),
    low_effort: empty(),
  };
  const count = (share: ChurnShare, canceled: boolean) => ({
    accounts: share.accounts + 1,
    churned: share.churned + (canceled ? 1 : 0),
  });
  for (const state of latest.values()) {
    if (state.nps !== undefined) {
      const category = npsCategory(state.nps);
      nps[category] = count(nps[category], state.canceled);
    }
    if (state.ces !== undefined) {
      const category = effortCategory(state.ces);
      effort[category] = count(effort[category], state.canceled);
    }
  }
  return { nps, effort };
}

export function churnPercent(share: ChurnShare): number {
  return share.accounts === 0 ? 0 : (100 * share.churned) / share.accounts;
}
