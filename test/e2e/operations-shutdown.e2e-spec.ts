import { connect, Socket } from 'node:net';
import { startBuiltServer, BuiltServer, waitForExit } from '../support/built-server';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/** Opens a raw connection and sends a POST's headers, asking to continue before the body. */
async function startSlowPost(port: number, body: string): Promise<{ socket: Socket; response: Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  const continued = new Promise<void>((resolve, reject) => {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.includes('100 Continue')) resolve();
    });
    socket.once('error', reject);
  });
  socket.write(
    'POST /v1/nothing-here HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
  );
  // "100 Continue" means the server has accepted the connection and parsed the request.
  await continued;
  const response = new Promise<string>((resolve) => {
    socket.on('data', () => {
      if (/\r\n\r\n\{.*\}$/s.test(received.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, ''))) resolve(received);
    });
    socket.once('close', () => resolve(received));
  });
  return { socket, response };
}

/** Resolves once a new TCP connection to the port is refused. */
async function refusedWithin(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', () => resolve(true));
    });
    if (refused) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

// Each test starts a server process (and, embedded, a database): slow on a busy machine.
jest.setTimeout(180_000);

describe('graceful shutdown (the compiled server, as `npm start` runs it)', () => {
  let db: TestDatabase;
  let server: BuiltServer | undefined;
  beforeEach(async () => (db = await createTestDatabase()));
  afterEach(async () => {
    if (server && server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill('SIGKILL');
    await server?.exited;
    server = undefined;
    await db.drop();
  });

  it('exits 0 soon after SIGTERM when idle, having closed the database', async () => {
    server = await startBuiltServer(db.env);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);

    const sent = Date.now();
    server.proc.kill('SIGTERM');
    const exit = await waitForExit(server, 15_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(server.stderr()).toBe('');
    expect(server.stdout()).toContain('SIGTERM: shutting down');
    expect(server.stdout()).toContain('HTTP requests drained');
  });

  it('stops accepting connections but lets a request in flight finish, then exits 0', async () => {
    server = await startBuiltServer(db.env);
    const body = JSON.stringify({ slow: true });
    const { socket, response } = await startSlowPost(server.port, body);

    server.proc.kill('SIGTERM');
    expect(await refusedWithin(server.port, 5_000)).toBe(true);
    expect(server.proc.exitCode).toBeNull(); // still draining

    socket.write(body);
    const raw = await response;
    expect(raw).toMatch(/HTTP\/1\.1 404 Not Found/);
    expect(raw).toMatch(/content-type: application\/problem\+json/i);
    expect(raw).toContain('"code":"DSE-015"');

    const exit = await waitForExit(server, 15_000);
    expect(exit).toEqual({ code: 0, signal: null });
    socket.destroy();
  });

  it('gives up on a request still running after SHUTDOWN_GRACE_MS and exits 1', async () => {
    server = await startBuiltServer({ ...db.env, SHUTDOWN_GRACE_MS: '500' });
    const { socket } = await startSlowPost(server.port, '{"never":"sent"}');

    const sent = Date.now();
    server.proc.kill('SIGTERM');
    const exit = await waitForExit(server, 15_000);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(Date.now() - sent).toBeGreaterThanOrEqual(450);
    socket.destroy();
  });
});
