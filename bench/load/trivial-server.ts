/**
 * The transport ceiling's server (`node bench/load/trivial-server.ts`, run by
 * `load` as a child process): twofold's own server stack (startServer: the
 * same listener, protocol split, gRPC fast path, interceptors, per-call log
 * line and API-key check) over handlers that answer Challenge and Verify
 * with fixed messages of the real ones' shape. Whatever rate the load client
 * reaches here, at the same concurrency, is the most the service could reach
 * if its own work cost nothing.
 *
 * Prints `{"port":N}` on stdout once listening; exits on SIGTERM.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { AppPasswordService } from "../../src/gen/twofold/v1/app_passwords_pb.js";
import { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import { FactorKind, FactorState, Provider } from "../../src/gen/twofold/v1/types_pb.js";
import { createLogger, registration, startServer, type Caller } from "../targets.js";

/** The key the parent sends; a Map lookup stands in for the service's key check. */
const key = process.env["TWOFOLD_BENCH_KEY"] ?? "";
const keys = new Map<string, Caller>([[key, { tenant: "bench", keyId: "bench", role: "admin" }]]);

const now = timestampFromDate(new Date());
const factor = { id: "00000000-0000-4000-8000-000000000001", kind: FactorKind.TOTP, label: "Nitrokey Pro", state: FactorState.ACTIVE, createdAt: now };
const challengeAnswer = {
  transactionId: "00000000-0000-4000-8000-000000000002",
  expiresAt: now,
  secondFactorRequired: true,
  providers: [{ provider: Provider.TOTP, factors: [factor] }],
};
const verifyAnswer = {
  verified: true,
  context: { userId: "bench-user", factorId: factor.id, provider: Provider.TOTP, amr: ["otp", "hwk", "mfa"], verifiedAt: now },
};

const logger = createLogger({ logLevel: process.env["TWOFOLD_LOG_LEVEL"] === "silent" ? "silent" : "info" });
const server = await startServer({
  config: { addr: { host: "127.0.0.1", port: 0 }, maxMessageBytes: 65_536, maxConcurrentStreams: 1000, requestTimeoutMs: 10_000 },
  logger,
  services: [
    registration(AuthenticationService, { challenge: () => challengeAnswer, verify: () => verifyAnswer }),
    registration(AppPasswordService, { verifyAppPassword: () => ({ verified: true }) }),
  ],
  authenticate: (token) => Promise.resolve(keys.get(token)),
  shutdownGraceMs: 200,
});
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
// Exit cleanly on SIGTERM so `--cpu-prof` runs write their profile.
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
