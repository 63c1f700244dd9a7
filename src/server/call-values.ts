import { ConnectError, createContextKey } from "@connectrpc/connect";

/**
 * performance.now() when the request arrived, set by connect-handler.ts: the
 * call's deadline counts from there, so time spent receiving and checking
 * the body is part of it, as on the gRPC fast path.
 */
export const arrivalKey = createContextKey<number | undefined>(undefined, { description: "twofold request arrival" });

/** The error the request check found, for the refusing twin handler to throw. */
export const refusalKey = createContextKey<ConnectError | undefined>(undefined, { description: "twofold request refusal" });
