import { createServer } from 'node:net';

/** A port on 127.0.0.1 where nothing listens: bound, then closed, so a connection is refused (ECONNREFUSED). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
