import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP hop in front of a server, which a test cuts to play an outage. */
export interface TcpProxy {
  /** The port on 127.0.0.1 to connect to instead of the server's. */
  port: number;
  /** Drops every connection and refuses new ones, like a server that went away. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  /** Cuts, for good. */
  close(): Promise<void>;
}

/** Forwards 127.0.0.1:<port> (a free one) to `target`, byte for byte. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // A cut connection errors on both sides; the test reads the outcome from the client.
    socket.on('error', () => {});
  };
  let server: Server;
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(target.port, target.host);
        track(client);
        track(upstream);
        client.pipe(upstream).pipe(client);
        client.once('close', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });

  const port = await listen(0);
  return { port, cut, restore: async () => void (await listen(port)), close: cut };
}
