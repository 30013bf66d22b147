import { Writable } from 'node:stream';

/**
 * A Writable over stdout for downloads to `-` and `cat`: each write waits for
 * stdout to take it (back-pressure from a slow pipe reaches the SDK), and
 * ending it leaves stdout open, since more output may follow (`cat a b`).
 * A reader that goes away surfaces as an EPIPE error from the write.
 */
export function stdoutSink(stdout: NodeJS.WritableStream = process.stdout): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      stdout.write(chunk, (err) => callback(err ?? undefined));
    },
    final(callback) {
      callback();
    },
  });
}
