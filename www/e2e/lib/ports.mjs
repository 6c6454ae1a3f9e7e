import net from 'node:net';

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `count` consecutive free ports (for the endpoint range), tried a few times. */
export async function freePortRange(count) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const start = 20000 + Math.floor(Math.random() * 30000);
    const ok = await Promise.all(Array.from({ length: count }, (_, i) => isFree(start + i)));
    if (ok.every(Boolean)) return { start, end: start + count - 1 };
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

function isFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
