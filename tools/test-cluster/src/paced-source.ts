/** A stream of `pieces` that awaits `at(i)` before yielding piece i: lets a test act at a known point of an upload. */
export function pacedSource(pieces: Uint8Array[], at: (i: number) => Promise<void>): AsyncIterable<Uint8Array> {
  return (async function* () {
    for (let i = 0; i < pieces.length; i++) {
      await at(i);
      yield pieces[i]!;
    }
  })();
}
