import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, createServer, type Server } from 'node:tls';
import { redisConnection } from '#queues';
import { freePort, startRedis } from '../../scripts/lib/services.js';
import { startStack, type Stack } from '../../scripts/lib/stack.js';
import { enroll, seedItems } from './support.js';

/** A CA and a certificate for 127.0.0.1 signed by it, made with openssl in `dir`. */
function certificates(dir: string): { ca: string; cert: string; key: string } {
  const f = (name: string) => join(dir, name);
  writeFileSync(f('san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const args of [
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=rowferry test CA',
      '-keyout',
      f('ca.key'),
      '-out',
      f('ca.pem'),
    ],
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      f('redis.key'),
      '-out',
      f('redis.csr'),
    ],
    [
      'x509',
      '-req',
      '-in',
      f('redis.csr'),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      f('san.cnf'),
      '-out',
      f('redis.pem'),
    ],
  ]) {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
  }
  return { ca: f('ca.pem'), cert: f('redis.pem'), key: f('redis.key') };
}

/**
 * Redis reached over TLS (rediss://) as an ACL user, the default user switched off: the whole path works. Debian's
 * redis-server is built without TLS, so TLS is terminated in front of it, as managed Redis services and stunnel do.
 */
describe('Redis over TLS with an ACL user', () => {
  let redis: NonNullable<Awaited<ReturnType<typeof startRedis>>>;
  let terminator: Server;
  let tlsPort: number;
  let stack: Stack;
  let ca: string;

  beforeAll(async () => {
    const started = await startRedis((port) => [
      '--port',
      String(port),
      '--user',
      'default',
      'off',
      '--user',
      'rowferry',
      'on',
      '>queue-password',
      '~*',
      '&*',
      '+@all',
    ]);
    if (!started) throw new Error('redis-server is not installed');
    redis = started;
    const certs = certificates(redis.dir);
    ca = certs.ca;
    tlsPort = await freePort();
    terminator = createServer({ cert: readFileSync(certs.cert), key: readFileSync(certs.key) }, (client) => {
      const upstream = connect(redis.port, '127.0.0.1');
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => terminator.listen(tlsPort, '127.0.0.1', r));
    stack = await startStack('redis_tls', 1, {
      env: { REDIS_URL: `rediss://rowferry:queue-password@127.0.0.1:${tlsPort}`, NODE_EXTRA_CA_CERTS: ca },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    terminator?.close();
    redis?.proc.kill('SIGINT');
    if (redis) rmSync(redis.dir, { recursive: true, force: true });
  });

  it('parses rediss:// with a user name into TLS options and ACL credentials', () => {
    expect(redisConnection({ REDIS_URL: 'rediss://ops%40x:p%40ss@cache.example:6380/2' })).toEqual({
      host: 'cache.example',
      port: 6380,
      username: 'ops@x',
      password: 'p@ss',
      db: 2,
      tls: {},
      maxRetriesPerRequest: null,
    });
    expect(() => redisConnection({ REDIS_URL: 'http://x' })).toThrow(/must be redis:\/\/ or rediss:\/\//);
  });

  it('refuses plain connections and the default user, so the stack really used TLS and the ACL user', async () => {
    /** What the server answers a PING on a fresh connection, or "closed". */
    const ping = (socket: Socket) =>
      new Promise<string>((resolve) => {
        let answer = '';
        socket.on('data', (d) => (answer += d.toString()));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(answer || 'closed'));
        setTimeout(() => socket.destroy(), 1000);
        socket.write('PING\r\n');
      });
    expect(await ping(connect(tlsPort, '127.0.0.1'))).toBe('closed');
    expect(await ping(tlsConnect({ port: tlsPort, host: '127.0.0.1', ca: readFileSync(ca) }))).toMatch(/^-NOAUTH/);
  });

  it('carries an upload from the API through the queue to the workers', async () => {
    const t = await enroll(stack, 'tls');
    await seedItems(stack, t, 10);
  });
});
