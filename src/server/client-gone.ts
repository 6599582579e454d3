/**
 * The abort signal of a request whose client may leave: renders and streams stop when nobody is left
 * to answer.
 */
import type { Response } from 'express';

/**
 * An AbortSignal that fires when the client goes away before the answer is finished, and also when
 * `shutdownSignal` fires (streams pass the server's; in-flight sync requests pass none and finish
 * during a shutdown).
 */
export function clientGone(res: Response, shutdownSignal?: AbortSignal): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => { if (!res.writableFinished) controller.abort(); });
  if (!shutdownSignal) return controller.signal;
  const onShutdown = () => controller.abort();
  shutdownSignal.addEventListener('abort', onShutdown, { once: true });
  res.on('close', () => shutdownSignal.removeEventListener('abort', onShutdown));
  return controller.signal;
}
