import { Code } from '@dfs/proto';
import { abortableSleep } from './abortable-sleep.js';

describe('abortableSleep', () => {
  it('waits, and ends early with Canceled or DeadlineExceeded when the signal aborts', async () => {
    await expect(abortableSleep(1)).resolves.toBeUndefined();
    const controller = new AbortController();
    const pending = abortableSleep(10_000, controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: Code.Canceled });
    await expect(abortableSleep(10_000, AbortSignal.timeout(1))).rejects.toMatchObject({ code: Code.DeadlineExceeded });
    await expect(abortableSleep(10_000, AbortSignal.abort())).rejects.toMatchObject({ code: Code.Canceled });
  });
});
