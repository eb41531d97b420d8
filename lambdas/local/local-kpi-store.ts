import { readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { DynamoDbKpiStore } from '../adapters/dynamodb-kpi-store.js';
import type { LocalHome } from './home.js';

export const LOCAL_KPI_TABLE = 'cs-pulse-kpis';

export interface LocalKpiStore {
  readonly store: DynamoDbKpiStore;
  readonly endpoint: string;
  /** Whether this process serves the store (true) or uses the one `npm start` serves (false). */
  readonly owned: boolean;
  close(): Promise<void>;
}

interface EndpointFile {
  readonly endpoint: string;
  readonly pid: number;
}

function endpointFile(home: LocalHome): string {
  return `${home.kpiStore}.endpoint.json`;
}

const LOOPBACK_AUTHORIZATION =
  'AWS4-HMAC-SHA256 Credential=local/20000101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0';

/**
 * A DynamoDB client for a loopback dynalite: any credentials do, none is ever sent to AWS. Requests carry a fixed
 * Authorization header instead of a SigV4 signature: dynalite wants the header but checks no signature, and signing
 * (hashing the body, four HMACs) would be CPU on every read-API call for nothing.
 */
export function localDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
    httpAuthSchemes: [
      {
        schemeId: 'aws.auth#sigv4',
        identityProvider: (config) => config.getIdentityProvider('aws.auth#sigv4'),
        signer: {
          sign: async (request) => {
            request.headers.authorization = LOOPBACK_AUTHORIZATION;
            request.headers['x-amz-date'] = '20000101T000000Z';
            return request;
          },
        },
      },
    ],
  });
}

/**
 * Serves the KPI store with dynalite (the DynamoDB API) on loopback, persisted in the home folder, and records its
 * endpoint so other commands on the same home (`npm run aggregate`) use this process's store instead of opening the
 * same database files a second time.
 */
export async function serveLocalKpiStore(home: LocalHome): Promise<LocalKpiStore> {
  const server: Server = dynalite({
    path: home.kpiStore,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = localDynamoDbClient(endpoint);
  const store = new DynamoDbKpiStore(client, LOCAL_KPI_TABLE);
  await store.ensureTable();
  const record: EndpointFile = { endpoint, pid: process.pid };
  await writeFile(endpointFile(home), JSON.stringify(record));
  return {
    store,
    endpoint,
    owned: true,
    async close() {
      client.destroy();
      await rm(endpointFile(home), { force: true });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The KPI store of a home: the running server's when there is one, else one served by this process. */
export async function openLocalKpiStore(home: LocalHome): Promise<LocalKpiStore> {
  const running = await readEndpoint(home);
  if (running) {
    const client = localDynamoDbClient(running.endpoint);
    const store = new DynamoDbKpiStore(client, LOCAL_KPI_TABLE);
    try {
      await store.ensureTable();
      return { store, endpoint: running.endpoint, owned: false, close: async () => client.destroy() };
    } catch {
      client.destroy(); // a stale record of a server that died: serve the store ourselves
    }
  }
  return serveLocalKpiStore(home);
}

async function readEndpoint(home: LocalHome): Promise<EndpointFile | undefined> {
  try {
    const record = JSON.parse(await readFile(endpointFile(home), 'utf8')) as EndpointFile;
    process.kill(record.pid, 0);
    return record;
  } catch {
    return undefined;
  }
}
