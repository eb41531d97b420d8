/**
 * The lake's storage: S3 on AWS, a folder on local disk for `npm start`. Keys are the same in both, so the local
 * folder is a faithful copy of the bucket layout (see docs/lake.md).
 */
export interface StoredObject {
  readonly key: string;
  readonly body: string | Uint8Array;
  readonly contentType?: string;
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

export interface ObjectStore {
  /**
   * Writes every object; resolves only when all of them are durable (S3: every PutObject acknowledged; local disk:
   * on stable storage). Rewriting a key replaces it, so redelivery never duplicates.
   */
  putObjects(objects: readonly StoredObject[]): Promise<void>;
  /** The object's bytes, or undefined when there is no such key. */
  getObject(key: string): Promise<Uint8Array | undefined>;
  /** Every object whose key starts with the prefix, in key order. */
  listObjects(prefix: string): AsyncIterable<ListedObject>;
  deleteObjects(keys: readonly string[]): Promise<void>;
  /** Releases files, timers and connections; pending writes finish first. */
  close(): Promise<void>;
}
