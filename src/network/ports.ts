import net from 'node:net';
import type { PortSpec } from '../config/spec.js';
import { UmlenvError } from '../errors.js';

export interface PublishedPort {
  close(): Promise<void>;
}

/**
 * Forwards a host port to a guest port with a TCP relay in the supervisor: it needs no
 * firewall rule, works on 127.0.0.1, and disappears with the environment.
 */
export function publishPort(
  spec: PortSpec,
  guestAddress: string,
  machine: string,
): Promise<PublishedPort> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(spec.guestPort, guestAddress);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${spec.hostAddress}:${spec.hostPort}`;
      reject(
        error.code === 'EADDRINUSE'
          ? new UmlenvError(
              `host port ${where} (published by machine ${machine}) is already in use`,
              `pick a free host port in ports: of ${machine}, or stop what listens on ${where}`,
            )
          : new UmlenvError(
              `cannot publish host port ${where} for machine ${machine}: ${error.message}`,
              'check the host address in ports:',
              { cause: error },
            ),
      );
    });
    server.listen(spec.hostPort, spec.hostAddress, () =>
      resolve({
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}
