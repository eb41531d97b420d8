import { afterAll } from 'vitest';
import { removeTestOutdirs } from './cdk-app.js';

// A setup file runs for every test file, also when the infra files share one module graph (vitest.config.ts).
afterAll(removeTestOutdirs);
