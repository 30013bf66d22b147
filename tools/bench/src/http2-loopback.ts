// The HTTP/2 ceiling: one plain Node HTTP/2 stream (no Connect, no
// protobuf, no checksums) from this process to a server in a child process
// over 127.0.0.1, with the flow-control windows DFS uses. Run as a script
// with --serve it is that server: it prints {"port":N} and discards what it
// receives, answering each stream with the byte count.
import { spawn } from 'node:child_process';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { DEFAULT_HTTP2_WINDOWS, HTTP2_SERVER_OPTIONS, tuneHttp2Server } from '@dfs/client-pool';

const FRAME = 1024 * 1024;

/** Sends `bytes` over one stream in 1 MiB writes; MB/s (10^6 bytes) from the first write to the server's answer. */
export async function measureHttp2Loopback(bytes: number): Promise<number> {
  const server = spawn(process.execPath, [__filename, '--serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const killServer = () => server.kill('SIGKILL');
  process.once('exit', killServer);
  const exited = new Promise<void>((resolve) => server.once('close', () => resolve()));
  let session: http2.ClientHttp2Session | undefined;
  try {
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: server.stdout }).once('line', resolve);
      server.once('close', (code) => reject(new Error(`the HTTP/2 loopback server exited (code ${code}) before listening`)));
    });
    const { port } = JSON.parse(first) as { port: number };
    session = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: DEFAULT_HTTP2_WINDOWS.initialWindowSize } });
    const frame = Buffer.alloc(FRAME, 7);
    const started = performance.now();
    const stream = session.request({ ':method': 'POST', ':path': '/sink' });
    let answer = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (answer += d));
    const done = new Promise<void>((resolve, reject) => {
      stream.once('end', () => resolve());
      stream.once('error', reject);
    });
    for (let sent = 0; sent < bytes; sent += FRAME) {
      if (!stream.write(frame.subarray(0, Math.min(FRAME, bytes - sent)))) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
    }
    stream.end();
    await done;
    const seconds = (performance.now() - started) / 1000;
    const received = (JSON.parse(answer) as { bytes: number }).bytes;
    if (received !== bytes) throw new Error(`the HTTP/2 loopback server received ${received} of ${bytes} bytes`);
    return bytes / 1e6 / seconds;
  } finally {
    session?.close();
    server.kill('SIGTERM');
    await exited;
    process.off('exit', killServer);
  }
}

function serve(): void {
  const server = tuneHttp2Server(http2.createServer({ ...HTTP2_SERVER_OPTIONS }));
  server.on('stream', (stream) => {
    let bytes = 0;
    stream.on('data', (d: Buffer) => (bytes += d.length));
    stream.on('end', () => {
      stream.respond({ ':status': 200 });
      stream.end(JSON.stringify({ bytes }));
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n'));
  process.once('SIGTERM', () => process.exit(0));
}

if (require.main === module && process.argv.includes('--serve')) serve();
