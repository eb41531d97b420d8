import { LocalDiskObjectStore } from '../adapters/local-disk-object-store.js';
import { readSettings } from '../config/settings.js';
import { loadSourceOptions } from '../config/source-options.js';
import type { IngestDependencies } from '../ingest/ingest-webhook.js';
import { localHome, localSecrets } from '../local/home.js';
import { type Clock, systemClock } from '../ports/clock.js';

/**
 * The ingest handler's dependencies when it runs on its own, outside the local server (which passes its own):
 * the lake folder of CS_PULSE_HOME with every write fsynced.
 */
export async function ingestDependenciesFromEnvironment(): Promise<IngestDependencies & { clock: Clock }> {
  const settings = readSettings();
  const home = localHome(settings.CS_PULSE_HOME);
  return {
    store: await LocalDiskObjectStore.open({ root: home.lake, durability: 'fsync' }),
    secrets: localSecrets(home),
    clock: systemClock,
    maxBodyBytes: settings.CS_PULSE_MAX_BODY_BYTES,
    sourceOptions: await loadSourceOptions(settings.CS_PULSE_CONFIG),
  };
}
