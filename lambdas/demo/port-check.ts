import { createServer } from 'node:net';

/**
 * Whether something already listens on host:port. Checked before the demo opens the home, so a busy port is a clear
 * message rather than a half-started server.
 */
export function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(true);
      else reject(error);
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

export function busyPortMessage(host: string, port: number): string {
  return `port ${port} on ${host} is already in use: is \`npm start\` or another demo running? Stop it, or run the demo on another port: PORT=${port + 1} npm run demo`;
}
