/** Long CLI commands under Ctrl-C and SIGTERM. */

/**
 * Run `work` with a signal that SIGINT and SIGTERM abort. An AbortError from `work` becomes exit code
 * 130 with its message on stderr (the work says what was kept: a resumable export, a served batch);
 * the handlers go when `work` settles.
 */
export async function interruptible(work: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
    process.stderr.write(`\n${(err as Error).message || 'interrupted'}\n`);
    return 130;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
