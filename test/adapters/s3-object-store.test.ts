import { CreateBucketCommand, DeleteObjectsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../lambdas/adapters/s3-object-store.js';
import { type LocalS3, startLocalS3 } from '../support/s3rver.js';
import { objectStoreContract } from './object-store-contract.js';

/** A real S3 API on 127.0.0.1 (s3rver), so the adapter's requests, paging and errors are the real protocol. */
let localS3: LocalS3;
let bucketCounter = 0;

beforeAll(async () => {
  localS3 = await startLocalS3();
});

afterAll(async () => {
  await localS3?.stop();
});

objectStoreContract(
  'S3ObjectStore on s3rver',
  async () => {
    const bucket = `lake-${process.pid}-${++bucketCounter}`;
    await localS3.client.send(new CreateBucketCommand({ Bucket: bucket }));
    return { store: new S3ObjectStore({ bucket, client: localS3.client, listPageSize: 5 }) };
  },
  { listPageSize: 5 },
);

describe('S3ObjectStore requests', () => {
  // Only this client instance is mocked: the s3rver tests above keep the real protocol.
  const mocked = new S3Client({ region: 'us-east-1' });
  const s3 = mockClient(mocked);
  afterEach(() => s3.reset());

  it('deletes in requests of at most 1000 keys', async () => {
    s3.on(DeleteObjectsCommand).resolves({});
    const keys = Array.from({ length: 2500 }, (_, index) => `raw/k-${index}.json`);
    const store = new S3ObjectStore({ bucket: 'lake', client: mocked });

    await store.deleteObjects(keys);

    const sent = s3.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input);
    expect(sent.map((input) => input.Delete?.Objects?.length)).toEqual([1000, 1000, 500]);
    expect(sent.flatMap((input) => input.Delete?.Objects?.map((object) => object.Key))).toEqual(keys);
    expect(sent.every((input) => input.Bucket === 'lake' && input.Delete?.Quiet === true)).toBe(true);
  });

  it('fails when S3 reports keys it could not delete inside a 200 answer', async () => {
    s3.on(DeleteObjectsCommand).resolves({
      Errors: [{ Key: 'raw/locked.json', Code: 'AccessDenied', Message: 'Access Denied' }],
    });
    const store = new S3ObjectStore({ bucket: 'lake', client: mocked });

    await expect(store.deleteObjects(['raw/locked.json'])).rejects.toThrow(/raw\/locked\.json: AccessDenied/);
  });

  it('leaves encryption to the bucket and keeps at most the configured number of writes in flight', async () => {
    let running = 0;
    let most = 0;
    s3.on(PutObjectCommand).callsFake(async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      return {};
    });
    const store = new S3ObjectStore({
      bucket: 'lake',
      client: mocked,
      writeConcurrency: 3,
    });

    await store.putObjects(
      Array.from({ length: 10 }, (_, index) => ({
        key: `raw/${index}.json`,
        body: '{}',
        contentType: 'application/json',
      })),
    );

    const inputs = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(inputs).toHaveLength(10);
    expect(most).toBe(3);
    expect(inputs[0]).toMatchObject({ Bucket: 'lake', ContentType: 'application/json' });
    expect(inputs.some((input) => 'ServerSideEncryption' in input || 'SSEKMSKeyId' in input)).toBe(false);
  });

  it('rejects the whole write when one PutObject fails, after the others have settled', async () => {
    let settled = 0;
    s3.on(PutObjectCommand).callsFake(async (input) => {
      await new Promise((resolve) => setImmediate(resolve));
      settled += 1;
      if (input.Key === 'raw/1.json') throw Object.assign(new Error('slow down'), { name: 'SlowDown' });
      return {};
    });
    const store = new S3ObjectStore({ bucket: 'lake', client: mocked, writeConcurrency: 2 });

    await expect(
      store.putObjects([0, 1, 2, 3].map((index) => ({ key: `raw/${index}.json`, body: 'x' }))),
    ).rejects.toThrow(/slow down/);
    const startedCount = s3.commandCalls(PutObjectCommand).length;
    expect(settled).toBe(startedCount); // nothing still running when the caller hears of the failure
    expect(startedCount).toBeLessThan(4); // and nothing new started after the failure
  });
});
