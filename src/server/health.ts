import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";

/** How often Watch re-evaluates readiness; a change is pushed at most this late (sooner when a Check sees it). */
const watchIntervalMs = 1000;

/**
 * grpc.health.v1.Health (grpc/grpc-proto health/v1): "" and every served
 * service are SERVING while `ready()` holds, NOT_SERVING otherwise (the
 * database unreachable, the server draining), and SERVING again once it
 * holds again, so load balancers drain a replica that cannot work and take
 * it back without a restart.
 */
export function healthImpl(
  serviceNames: readonly string[],
  ready: () => Promise<boolean>,
  draining: AbortSignal,
): Partial<ServiceImpl<typeof Health>> {
  const known = new Set(["", ...serviceNames]);
  // One readiness probe at a time, shared by every Check caller and Watch
  // stream waiting for it, so a crowd of them costs the database one probe.
  // A probe whose answer differs from the one before wakes the Watch streams,
  // so a change a Check saw is pushed at once, and a short outage between two Watch polls is not missed.
  let probing: Promise<boolean> | undefined;
  let lastReady: boolean | undefined;
  const wake = new Set<() => void>();
  const probe = (): Promise<boolean> => {
    probing ??= ready()
      .catch(() => false)
      .then((ok) => {
        probing = undefined;
        const changed = lastReady !== undefined && ok !== lastReady;
        lastReady = ok;
        if (changed) for (const w of [...wake]) w();
        return ok;
      });
    return probing;
  };
  /** Resolves after `ms`, when a probe anywhere answers, or when `signal` aborts. */
  const nextLook = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        wake.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  const status = async (): Promise<Status> => {
    if (draining.aborted) return Status.NOT_SERVING;
    return (await probe()) ? Status.SERVING : Status.NOT_SERVING;
  };
  return {
    async check(req) {
      // The spec: Check for an unknown service fails with NOT_FOUND.
      if (!known.has(req.service)) throw new ConnectError("unknown service", Code.NotFound);
      return { status: await status() };
    },
    async *watch(req, ctx) {
      // The spec: Watch for an unknown service reports SERVICE_UNKNOWN and keeps the call open.
      const isKnown = known.has(req.service);
      let last: Status | undefined;
      const signal = AbortSignal.any([ctx.signal, draining]);
      while (!signal.aborted) {
        const now = isKnown ? await status() : Status.SERVICE_UNKNOWN;
        if (now !== last) {
          last = now;
          yield { status: now };
        }
        await nextLook(watchIntervalMs, signal);
      }
    },
  };
}
