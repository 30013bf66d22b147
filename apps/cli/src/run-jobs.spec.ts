import { setTimeout as sleep } from 'node:timers/promises';
import { runJobs } from './run-jobs.js';

describe('runJobs', () => {
  it('runs at most `parallel` jobs at once and reports results in job order', async () => {
    let running = 0;
    let most = 0;
    const reported: number[] = [];
    // Later jobs finish first.
    await runJobs([5, 4, 3, 2, 1, 0], 3, new AbortController().signal, async (ms) => {
      running++;
      most = Math.max(most, running);
      await sleep(ms * 10);
      running--;
      return ms;
    }, (result) => reported.push(result));
    expect(most).toBe(3);
    expect(reported).toEqual([5, 4, 3, 2, 1, 0]);
  });

  it('on a failure aborts the jobs in flight, starts no more, waits for them, reports what completed and throws the failure', async () => {
    const started: number[] = [];
    const reported: number[] = [];
    const run = async (job: number, signal: AbortSignal) => {
      started.push(job);
      if (job === 1) {
        await sleep(20);
        throw new Error('job 1 failed');
      }
      if (job === 2) return job;
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      // 0 gives up on the abort; 3 is past its point of no return (a commit under way) and finishes later.
      if (job === 0) throw signal.reason;
      await sleep(30);
      return job;
    };
    await expect(runJobs([0, 1, 2, 3, 4, 5], 3, new AbortController().signal, run, (r) => reported.push(r))).rejects.toThrow('job 1 failed');
    expect(started).toEqual([0, 1, 2, 3]);
    expect(reported).toEqual([2, 3]);
  });

  it('treats a report that throws as a failure', async () => {
    const ran: number[] = [];
    const done = runJobs([0, 1, 2, 3], 1, new AbortController().signal, async (job) => (ran.push(job), job), (r) => {
      if (r === 1) throw new Error('stdout closed');
    });
    await expect(done).rejects.toThrow('stdout closed');
    expect(ran).toEqual([0, 1]);
  });

  it('an abort once every job has started only aborts them: when they all finish, it resolves', async () => {
    const controller = new AbortController();
    const reported: number[] = [];
    await runJobs([0, 1], 2, controller.signal, async (job) => {
      if (job === 1) controller.abort(new Error('interrupted'));
      await sleep(10);
      return job;
    }, (r) => reported.push(r));
    expect(reported).toEqual([0, 1]);
  });

  it('stops on an abort of its signal between jobs and throws its reason', async () => {
    const controller = new AbortController();
    const ran: number[] = [];
    const done = runJobs([0, 1, 2], 1, controller.signal, async (job) => {
      ran.push(job);
      if (job === 0) controller.abort(new Error('interrupted'));
      return job;
    }, () => undefined);
    await expect(done).rejects.toThrow('interrupted');
    expect(ran).toEqual([0]);
  });
});
