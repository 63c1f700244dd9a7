import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import type { DescService } from "@bufbuild/protobuf";
import { ConnectError, createClient, type CallOptions, type Client, type Transport } from "@connectrpc/connect";
import { mayRetry, procedureKinds, retryDelayMs, type RetrySettings } from "./retry-policy.js";
import { TwofoldError } from "./twofold-error.js";

/** What every wrapped method of one client shares. */
export interface CallPolicy {
  /** The deadline of a call, retries included, when its CallOptions set none. */
  timeoutMs: number;
  retry: RetrySettings;
  /** Aborts every call of the client. */
  signal: AbortSignal | undefined;
}

type AnyMethod = (input: unknown, options?: CallOptions) => unknown;

/**
 * A connect-es client of `service` whose calls throw TwofoldError, retry
 * only what retry-policy.ts allows, and share one deadline across their
 * attempts. The wrapping is per method, decided once here, so a call of a
 * write pays one `.catch` more than a bare connect-es call and nothing else.
 */
export function wrapClient<S extends DescService>(service: S, transport: Transport, policy: CallPolicy): Client<S> {
  const raw = createClient(service, transport) as unknown as Record<string, AnyMethod>;
  const out: Record<string, AnyMethod> = {};
  for (const method of service.methods) {
    const call = raw[method.localName];
    if (call === undefined) continue;
    const procedure = `${service.typeName}/${method.name}`;
    if (method.methodKind === "unary") {
      const retries = policy.retry.maxAttempts > 1 && procedureKinds[procedure] === "read";
      out[method.localName] = retries ? retryingUnary(call, procedure, policy) : plainUnary(call, procedure, policy.signal);
    } else if (method.methodKind === "server_streaming") {
      out[method.localName] = (input, options) => convertStream(call(input, withSignal(options, policy.signal)) as AsyncIterable<unknown>, procedure);
    } else {
      out[method.localName] = call;
    }
  }
  return out as unknown as Client<S>;
}

function plainUnary(call: AnyMethod, procedure: string, signal: AbortSignal | undefined): AnyMethod {
  return (input, options) =>
    (call(input, withSignal(options, signal)) as Promise<unknown>).catch((err: unknown) => {
      throw TwofoldError.from(err, procedure);
    });
}

function retryingUnary(call: AnyMethod, procedure: string, policy: CallPolicy): AnyMethod {
  return async (input, options) => {
    const signal = options?.signal === undefined ? policy.signal : policy.signal === undefined ? options.signal : AbortSignal.any([options.signal, policy.signal]);
    const timeoutMs = options?.timeoutMs ?? policy.timeoutMs;
    const deadline = timeoutMs > 0 ? performance.now() + timeoutMs : Infinity;
    let attemptOptions: CallOptions | undefined = signal === options?.signal ? options : { ...options, signal };
    for (let attempt = 1; ; attempt++) {
      try {
        return await call(input, attemptOptions);
      } catch (err) {
        const cause = ConnectError.from(err);
        const wait = retryDelayMs(policy.retry, attempt);
        // Ensure a retry is allowed, wanted, and fits in what is left of the deadline.
        if (attempt >= policy.retry.maxAttempts || !mayRetry(procedure, cause.code) || signal?.aborted === true || performance.now() + wait >= deadline) {
          throw new TwofoldError(cause, procedure, attempt);
        }
        try {
          await delay(wait, undefined, signal === undefined ? undefined : { signal });
        } catch (aborted) {
          throw TwofoldError.from(aborted, procedure, attempt);
        }
        // The next attempt gets only the rest of the call's deadline.
        const left = deadline - performance.now();
        if (left < 1) throw new TwofoldError(cause, procedure, attempt);
        attemptOptions = { ...options, signal, timeoutMs: deadline === Infinity ? timeoutMs : Math.floor(left) };
      }
    }
  };
}

function withSignal(options: CallOptions | undefined, signal: AbortSignal | undefined): CallOptions | undefined {
  if (signal === undefined) return options;
  if (options?.signal === undefined) return { ...options, signal };
  return { ...options, signal: AbortSignal.any([options.signal, signal]) };
}

async function* convertStream(messages: AsyncIterable<unknown>, procedure: string): AsyncIterable<unknown> {
  try {
    yield* messages;
  } catch (err) {
    throw TwofoldError.from(err, procedure);
  }
}
