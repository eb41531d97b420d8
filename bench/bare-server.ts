import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The baseline: plain node:http on the same machine, reading each body to its end and answering 202 with a small
 * JSON body, like cs-pulse does, but with no verification, parsing or storage. cs-pulse's overhead is measured
 * against this.
 */
const answer = Buffer.from('{"accepted":1,"ignored":0}');

const server = createServer((request, response) => {
  request.on('data', () => undefined);
  request.on('end', () => {
    response.writeHead(202, { 'content-type': 'application/json', 'content-length': String(answer.length) });
    response.end(answer);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  console.log(`bare server listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
