/**
 * memcached for the tests: the shared server at MEMCACHED_SERVERS (random key prefixes per test), and
 * throw-away `memcached` processes on free ports for the fault tests.
 *
 * Without a server the tests skip saying how to enable them; on CI (`CI=true`) they fail instead.
 */
import memjs from 'memjs';
import net from 'node:net';
import { freePort, skipOrFail } from './redis.ts';
import { runs, spawnServer, tempDir, type ServerProcess } from './servers.ts';

/** The shared server: `MEMCACHED_SERVERS`, default `127.0.0.1:11211`. */
export function memcachedServers(): string {
  return process.env.MEMCACHED_SERVERS ?? '127.0.0.1:11211';
}

/** A memjs client with short timeouts and a silent logger (memjs logs every failure to the console by default). */
export function memjsClient(servers = memcachedServers()): memjs.Client {
  return memjs.Client.create(servers, { timeout: 2, conntimeout: 2, retries: 1, logger: { log: () => {} } });
}

/** Sends `version` over a fresh socket: whether a memcached answers at host:port. */
function answers(address: string, timeoutMs = 1000): Promise<boolean> {
  const [host = '127.0.0.1', port = '11211'] = address.split(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port) });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => done(chunk.toString().startsWith('VERSION')));
    socket.write('version\r\n');
  });
}

/** Why the MEMCACHED_SERVERS tests must skip, or undefined when the server answers (throws on CI). */
export async function memcachedSkipReason(): Promise<string | undefined> {
  const first = memcachedServers().split(',')[0]!;
  if (await answers(first)) return undefined;
  return skipOrFail(`memcached not reachable at ${first} — start it (memcached -d -u memcache -l 127.0.0.1 -p 11211) or set MEMCACHED_SERVERS=host:port to run these tests`);
}

/** Why throw-away memcached servers cannot be started, or undefined (throws on CI). */
export function memcachedServerSkipReason(): string | undefined {
  if (runs('memcached', ['-V'])) return undefined;
  return skipOrFail('memcached not installed — apt-get install memcached to run these tests');
}

/** A throw-away memcached. */
export interface MemcachedServer extends ServerProcess {
  /** `127.0.0.1:<port>`, for memjs. */
  readonly servers: string;
}

/** Starts memcached on 127.0.0.1:`port` (as the `memcache` user when root), no UDP, 64 MB, items up to 2 MB (the suite stores 1 MiB records). */
export async function startMemcachedServer(options: { port?: number; dir?: string } = {}): Promise<MemcachedServer> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? (await tempDir('memcached'));
  const user = process.getuid?.() === 0 ? ['-u', 'memcache'] : [];
  const servers = `127.0.0.1:${port}`;
  const server = await spawnServer({ bin: 'memcached', args: ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '64', '-I', '2m', ...user], port, dir, ready: () => answers(servers, 500) });
  return { ...server, servers };
}
