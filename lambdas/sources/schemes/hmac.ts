import { createHmac, timingSafeEqual } from 'node:crypto';

/** Compares two byte strings in time that does not depend on where they differ. */
export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    // Still spend the comparison so length mismatches are not measurably faster than content mismatches.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

export function hmac(
  algorithm: 'sha1' | 'sha256',
  key: Buffer | string,
  ...parts: (Buffer | string)[]
): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Whether a sender's timestamp is within the replay window around now. */
export function withinTolerance(sentAtSeconds: number, now: Date, toleranceSeconds: number): boolean {
  return Number.isFinite(sentAtSeconds) && Math.abs(now.getTime() / 1000 - sentAtSeconds) <= toleranceSeconds;
}
