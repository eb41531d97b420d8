import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A fresh CS_PULSE_HOME for one test, removed afterwards. */
export async function withTempHome(): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'cs-pulse-test-'));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}
