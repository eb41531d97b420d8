import {
  DeleteObjectsCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { assertValidObjectKey } from '../ports/object-key.js';
import type { ListedObject, ObjectStore, StoredObject } from '../ports/object-store.js';
import { forEachBounded } from '../runtime/bounded-concurrency.js';

/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH_LIMIT = 1000;

export interface S3ObjectStoreOptions {
  /** The lake bucket. */
  readonly bucket: string;
  /**
   * The client to send with. Pass one to share it (tests point it at a local S3); the store then leaves it open on
   * close. @default a new S3Client for the Lambda's region, destroyed by close()
   */
  readonly client?: S3Client;
  /** Most PutObject requests in flight at once for one putObjects call. @default 16 */
  readonly writeConcurrency?: number;
  /** Keys per ListObjectsV2 page. @default 1000 (the S3 maximum) */
  readonly listPageSize?: number;
  /** Keys per DeleteObjects request. @default 1000 (the S3 maximum) */
  readonly deleteBatchSize?: number;
}

/**
 * The lake on S3. Objects are written without an encryption header, so each one is encrypted the way the bucket's
 * default encryption says (the data-lake construct sets it); the store never has to know the key.
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly writeConcurrency: number;
  private readonly listPageSize: number;
  private readonly deleteBatchSize: number;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    this.client = options.client ?? new S3Client({});
    this.ownsClient = options.client === undefined;
    this.writeConcurrency = options.writeConcurrency ?? 16;
    this.listPageSize = options.listPageSize ?? 1000;
    this.deleteBatchSize = Math.min(options.deleteBatchSize ?? DELETE_BATCH_LIMIT, DELETE_BATCH_LIMIT);
  }

  async putObjects(objects: readonly StoredObject[]): Promise<void> {
    if (this.closed) throw new Error('object store is closed');
    for (const object of objects) assertValidObjectKey(object.key); // refuse the batch before writing any of it
    await this.track(
      forEachBounded(objects, this.writeConcurrency, (object) =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: object.key,
            Body: object.body,
            ContentType: object.contentType,
          }),
        ),
      ),
    );
  }

  async getObject(key: string): Promise<Uint8Array | undefined> {
    assertValidObjectKey(key);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await response.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (error) {
      if (error instanceof NoSuchKey || (error as Error | undefined)?.name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async *listObjects(prefix: string): AsyncIterable<ListedObject> {
    const pages = paginateListObjectsV2(
      { client: this.client, pageSize: this.listPageSize },
      { Bucket: this.bucket, Prefix: prefix },
    );
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
      }
    }
  }

  async deleteObjects(keys: readonly string[]): Promise<void> {
    for (const key of keys) assertValidObjectKey(key);
    const batches: string[][] = [];
    for (let start = 0; start < keys.length; start += this.deleteBatchSize) {
      batches.push(keys.slice(start, start + this.deleteBatchSize));
    }
    await this.track(
      forEachBounded(batches, 4, async (batch) => {
        const response = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        // DeleteObjects answers 200 even when some keys failed: the failures are in the body.
        const failed = response.Errors ?? [];
        if (failed.length > 0) {
          const first = failed[0]!;
          throw new Error(
            `could not delete ${failed.length} object(s) from s3://${this.bucket}, first ${first.Key}: ${first.Code} ${first.Message ?? ''}`.trim(),
          );
        }
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    if (this.ownsClient) this.client.destroy();
  }

  private async track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(work);
    }
  }
}
