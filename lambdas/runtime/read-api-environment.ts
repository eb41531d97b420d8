import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbKpiStore } from '../adapters/dynamodb-kpi-store.js';
import type { ReadApiDependencies } from '../api/read-api.js';

/** On Lambda: the stack's DynamoDB table named by CS_PULSE_KPI_TABLE. The API Gateway authorizer guards access. */
export async function readApiDependenciesFromEnvironment(): Promise<ReadApiDependencies> {
  const table = process.env.CS_PULSE_KPI_TABLE;
  if (!table) throw new Error('CS_PULSE_KPI_TABLE is not set');
  return { store: new DynamoDbKpiStore(new DynamoDBClient({}), table) };
}
