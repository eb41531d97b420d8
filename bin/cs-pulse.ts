#!/usr/bin/env node
import { runCli } from '../lambdas/cli/main.js';

// The AWS SDK warns on Node 20 at every client it builds; locally it only talks to dynalite on loopback.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

process.exitCode = await runCli(process.argv.slice(2));
