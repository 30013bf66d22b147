/** Runs every step in order, the rest too when one fails; then throws the first failure. For teardowns that must leave nothing behind. */
export async function inTurn(steps: Array<() => Promise<unknown> | undefined>): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw failures[0];
}
