#!/usr/bin/env node
import { runCli } from '../lambdas/cli/main.js';

// The AWS SDK warns on Node 20 at every client it builds; locally it only talks to dynalite on loopback.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// The lake's file writes run on libuv's thread pool, where creating a file waits on the file system's journal; more
// threads let the next group commit's files be created while earlier ones wait. The pool starts on first use, after
// this line.
process.env.UV_THREADPOOL_SIZE ??= '16';

process.exitCode = await runCli(process.argv.slice(2));
