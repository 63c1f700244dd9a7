import { Code, ConnectError } from "@connectrpc/connect";
import type { CallDeadline } from "../store/call-deadline.js";

/** The error a call answers once its deadline (or cancellation) ended it: the abort reason when it is one. */
export function abortError(deadline: CallDeadline): ConnectError {
  const reason: unknown = deadline.reason;
  return reason instanceof ConnectError ? reason : new ConnectError("deadline exceeded", Code.DeadlineExceeded);
}

/**
 * The answer of a handler run under `deadline`: its own result if it settles
 * first, DEADLINE_EXCEEDED (or the cancellation) as soon as the deadline ends
 * the call while no commit is under way. Once a statement that can commit has
 * started, the handler's real result is awaited and sent even if it comes
 * after the deadline, because an answer of DEADLINE_EXCEEDED must mean that
 * nothing changed (call-deadline.ts).
 */
export function settleWithin<T>(deadline: CallDeadline, work: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const unsubscribe = deadline.onAbort(() => {
      if (!deadline.mustFinish) reject(abortError(deadline));
    });
    work.then(
      (value) => {
        unsubscribe();
        if (deadline.aborted && !deadline.committed) reject(abortError(deadline));
        else resolve(value);
      },
      (err: unknown) => {
        unsubscribe();
        if (deadline.aborted && !deadline.committed) reject(abortError(deadline));
        else reject(err);
      },
    );
  });
}

/**
 * The answer to an error of a call that had already committed a change: never
 * DEADLINE_EXCEEDED, which would tell the caller that nothing changed, but
 * UNAVAILABLE, an outcome the caller must check before it tries again.
 */
export function afterCommit(err: ConnectError, deadline: CallDeadline | undefined): ConnectError {
  if (deadline?.committed !== true || err.code !== Code.DeadlineExceeded) return err;
  return new ConnectError("the call ran out of time after it had committed a change; its outcome is unknown", Code.Unavailable);
}
