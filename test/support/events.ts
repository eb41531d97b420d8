/** Builders for generic events, so tests say only what matters to them. */
export function surveyEvent(
  id: string,
  accountId: string,
  survey: 'nps' | 'ces' | 'csat',
  score: number,
  occurredAt: string,
  extra: Record<string, unknown> = {},
) {
  return {
    id,
    type: 'survey.responded',
    occurred_at: occurredAt,
    account_id: accountId,
    data: { survey, score, ...extra },
  };
}

export function subscriptionStarted(
  id: string,
  accountId: string,
  mrr: number,
  occurredAt: string,
  extra: Record<string, unknown> = {},
) {
  return {
    id,
    type: 'subscription.started',
    occurred_at: occurredAt,
    account_id: accountId,
    data: { mrr, currency: 'USD', ...extra },
  };
}

export function subscriptionChanged(
  id: string,
  accountId: string,
  mrr: number,
  occurredAt: string,
  extra: Record<string, unknown> = {},
) {
  return {
    id,
    type: 'subscription.changed',
    occurred_at: occurredAt,
    account_id: accountId,
    data: { mrr, currency: 'USD', ...extra },
  };
}

export function subscriptionCanceled(
  id: string,
  accountId: string,
  occurredAt: string,
  effectiveAt?: string,
) {
  return {
    id,
    type: 'subscription.canceled',
    occurred_at: occurredAt,
    account_id: accountId,
    data: effectiveAt ? { effective_at: effectiveAt } : {},
  };
}

export function accountUpdated(
  id: string,
  accountId: string,
  occurredAt: string,
  data: Record<string, unknown>,
) {
  return { id, type: 'account.updated', occurred_at: occurredAt, account_id: accountId, data };
}
