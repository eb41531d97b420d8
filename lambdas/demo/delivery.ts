import { createHash } from 'node:crypto';

/** The source names the demo signs for; the generic one plus the five vendors of `--vendors`. */
export const DEMO_VENDOR_SOURCES = ['stripe', 'hubspot', 'delighted', 'typeform', 'zendesk'] as const;
export type DemoSource = 'generic' | (typeof DEMO_VENDOR_SOURCES)[number];

/** One webhook request to make: a fixed body, signed only when it is sent. */
export interface Delivery {
  readonly source: DemoSource;
  readonly body: string;
  /** Simulated events the body carries, for the progress bar. */
  readonly events: number;
  /** The sender's headers: signatures are over "now", whenever the events in the body happened. */
  headers(secret: string, sentAt: Date, url: string): Record<string, string>;
}

/** A short stable digest of some text, for ids that must be the same on every run of one seed. */
export function digest(text: string, length = 24): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** A stable number of up to `digits` digits derived from some text, for vendors whose ids are numeric. */
export function numericDigest(text: string, digits = 10): number {
  const value = BigInt(`0x${createHash('sha256').update(text).digest('hex').slice(0, 15)}`);
  return Number(value % 10n ** BigInt(digits));
}
