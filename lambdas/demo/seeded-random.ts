import { createHash } from 'node:crypto';

/**
 * A small deterministic random source (sfc32, seeded from a hash of the seed text), so one seed always simulates the
 * same company: Math.random cannot be seeded, and the demo's numbers must be reproducible.
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    const digest = createHash('sha256').update(seed).digest();
    this.a = digest.readUInt32LE(0);
    this.b = digest.readUInt32LE(4);
    this.c = digest.readUInt32LE(8);
    this.d = digest.readUInt32LE(12);
    // Mix the state before the first draw, as sfc32's authors recommend.
    for (let i = 0; i < 12; i += 1) this.next();
  }

  /** A uniform number in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** A whole number from min to max, both included. */
  integer(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** One key of a weight table, with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let draw = this.next() * total;
    for (const [key, weight] of entries) {
      draw -= weight;
      if (draw < 0) return key;
    }
    return entries[entries.length - 1]![0];
  }

  /** An index into a list of weights, with probability proportional to its weight. */
  weightedIndex(weights: readonly number[]): number {
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    let draw = this.next() * total;
    for (let index = 0; index < weights.length; index += 1) {
      draw -= weights[index]!;
      if (draw < 0) return index;
    }
    return weights.length - 1;
  }

  /** A normal draw (Box–Muller). */
  normal(mean = 0, deviation = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + deviation * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A Poisson count (Knuth's method: the rates here are small). */
  poisson(rate: number): number {
    const limit = Math.exp(-rate);
    let count = 0;
    let product = this.next();
    while (product > limit) {
      count += 1;
      product *= this.next();
    }
    return count;
  }

  /** Hex digits derived from the stream, for vendor-looking ids. */
  hex(length: number): string {
    let text = '';
    while (text.length < length)
      text += Math.floor(this.next() * 4294967296)
        .toString(16)
        .padStart(8, '0');
    return text.slice(0, length);
  }
}
