import type { DescService } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hotpCode, totpCode } from "../../src/core/index.js";
import { FixedClock } from "../../src/domain/clock.js";
import { AdminService, ResetScope } from "../../src/gen/twofold/v1/admin_pb.js";
import { AppPasswordService } from "../../src/gen/twofold/v1/app_passwords_pb.js";
import { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import { BackupCodeService } from "../../src/gen/twofold/v1/backup_codes_pb.js";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { snapshot, startInProcess, type InProcessServer } from "../e2e/helpers.js";
import { createTestApiKey, createTestApp, type TestApp } from "../support/app.js";
import { delayingDb, type DelayingDb } from "../support/delaying-db.js";
import { protocolClients, type Outcome, type ProtocolClient } from "./protocol-matrix.js";

/**
 * The deadline rule, per mutating RPC: an answer of DEADLINE_EXCEEDED means
 * the database did not change. Each call is made again and again with its
 * deadline made to pass at a different point of its work, deterministically:
 * a pause that lasts until the deadline has passed is injected before step k
 * (its API-key lookup, each statement, the end of each transaction's work
 * just before COMMIT) for every k. Whatever the answer, it must be honest: either
 * DEADLINE_EXCEEDED and a database identical to before, or the call's real
 * success (something committed before the pause) with its effect stored.
 *
 * The deadline is the server's own cap (requestTimeoutMs) rather than a
 * client timeout, so the client waits for the server's answer: a client that
 * gives up at its own deadline reports DEADLINE_EXCEEDED whatever happened.
 */

/** RFC 6238's SHA-1 test secret ("12345678901234567890"). */
const OTP_SECRET = Buffer.from("3132333435363738393031323334353637383930", "hex");
const T0 = new Date("2026-06-01T09:00:05Z");
const DEADLINE_MS = 100;
/** Only for a step outside any call; a call's pause ends just after its deadline. */
const PAUSE_MS = 300;

let app: TestApp;
let db: DelayingDb;
let clock: FixedClock;
let srv: InProcessServer;
/** The same service with requestTimeoutMs = DEADLINE_MS: the measured calls go here. */
let tight: InProcessServer;
let setup: ProtocolClient;
let serviceKey: string;
let adminKey: string;
let clients: ProtocolClient[];

beforeAll(async () => {
  clock = new FixedClock(T0);
  app = await createTestApp({ clock });
  db = delayingDb(app.db);
  srv = await startInProcess({ ...app.deps, db });
  tight = await startInProcess({ ...app.deps, db, config: { ...app.deps.config, requestTimeoutMs: DEADLINE_MS } });
  serviceKey = await createTestApiKey(app, "acme", "service");
  adminKey = await createTestApiKey(app, "acme", "admin");
  setup = protocolClients(srv.url, srv.address)[0] as ProtocolClient;
  // The gRPC fast path and connect-node, the two places a deadline is enforced.
  clients = protocolClients(tight.url, tight.address).filter((c) => c.name.startsWith("gRPC (@grpc") || c.name === "Connect (JSON, HTTP/1.1)");
  expect(clients).toHaveLength(2);
});
afterAll(async () => {
  for (const c of clients ?? []) c.close();
  setup?.close();
  await tight?.server.close();
  await srv?.server.close();
  await app?.close();
});

const now = (): number => Math.floor(clock.now().getTime() / 1000);
const totpNow = (): string => totpCode(OTP_SECRET, "SHA1", 6, 30, now());

/** One prepared call: which RPC, with what request, under which key. */
interface Prepared {
  service: DescService;
  method: string;
  request: object;
  admin?: boolean;
}

/** Makes a call outside any injected pause (setup), failing the test if it fails. */
async function must(service: DescService, method: string, request: object, admin = false): Promise<Record<string, unknown>> {
  const out = await setup.call(service, method, request, { apiKey: admin ? adminKey : serviceKey });
  if (out.code !== 0) throw new Error(`setup ${method} failed: ${out.code} ${out.message}`);
  return out.response as unknown as Record<string, unknown>;
}

/** An active TOTP factor for a new user, confirmed at the current step. */
async function activeTotp(userId: string): Promise<string> {
  const enrolled = await must(EnrolmentService, "enrol", { userId, label: "phone", spec: { case: "totp", value: { secret: OTP_SECRET } } });
  const factorId = (enrolled["factor"] as { id: string }).id;
  await must(EnrolmentService, "confirmEnrolment", { userId, factorId, proof: { case: "otpCode", value: totpNow() } });
  return factorId;
}

/** The mutating RPCs, each with the state it needs made first (through the API, unpaused). */
const CASES: { name: string; prepare(userId: string): Promise<Prepared> }[] = [
  {
    name: "Enrol",
    prepare: async (userId) => ({ service: EnrolmentService, method: "enrol", request: { userId, label: "phone", spec: { case: "totp", value: { secret: OTP_SECRET } } } }),
  },
  {
    name: "ConfirmEnrolment",
    async prepare(userId) {
      const enrolled = await must(EnrolmentService, "enrol", { userId, label: "phone", spec: { case: "totp", value: { secret: OTP_SECRET } } });
      const factorId = (enrolled["factor"] as { id: string }).id;
      return { service: EnrolmentService, method: "confirmEnrolment", request: { userId, factorId, proof: { case: "otpCode", value: totpNow() } } };
    },
  },
  {
    name: "RenameFactor",
    prepare: async (userId) => ({ service: EnrolmentService, method: "renameFactor", request: { userId, factorId: await activeTotp(userId), label: "renamed" } }),
  },
  {
    name: "RemoveFactor",
    prepare: async (userId) => ({ service: EnrolmentService, method: "removeFactor", request: { userId, factorId: await activeTotp(userId) } }),
  },
  {
    name: "ResyncFactor",
    async prepare(userId) {
      const enrolled = await must(EnrolmentService, "enrol", { userId, label: "token", spec: { case: "hotp", value: { secret: OTP_SECRET } } });
      const factorId = (enrolled["factor"] as { id: string }).id;
      await must(EnrolmentService, "confirmEnrolment", { userId, factorId, proof: { case: "otpCode", value: hotpCode(OTP_SECRET, "SHA1", 0, 6) } });
      const [code1, code2] = [hotpCode(OTP_SECRET, "SHA1", 40, 6), hotpCode(OTP_SECRET, "SHA1", 41, 6)];
      return { service: EnrolmentService, method: "resyncFactor", request: { userId, factorId, code1, code2 } };
    },
  },
  {
    name: "Challenge",
    async prepare(userId) {
      await activeTotp(userId);
      return { service: AuthenticationService, method: "challenge", request: { userId, clientIp: "192.0.2.1" } };
    },
  },
  {
    name: "Verify",
    async prepare(userId) {
      await activeTotp(userId);
      clock.advance(30_000); // the confirming step is burnt; log in with the next one
      const challenge = await must(AuthenticationService, "challenge", { userId });
      return {
        service: AuthenticationService,
        method: "verify",
        request: { transactionId: challenge["transactionId"], clientIp: "192.0.2.1", proof: { case: "otp", value: { code: totpNow(), factorId: "" } } },
      };
    },
  },
  {
    name: "GenerateBackupCodes",
    async prepare(userId) {
      await must(BackupCodeService, "generateBackupCodes", { userId, count: 5 });
      return { service: BackupCodeService, method: "generateBackupCodes", request: { userId, count: 8 } };
    },
  },
  {
    name: "CreateAppPassword",
    prepare: async (userId) => ({ service: AppPasswordService, method: "createAppPassword", request: { userId, name: "laptop", scopes: ["imap"] } }),
  },
  {
    name: "RevokeAppPassword",
    async prepare(userId) {
      const created = await must(AppPasswordService, "createAppPassword", { userId, name: "laptop", scopes: ["imap"] });
      return { service: AppPasswordService, method: "revokeAppPassword", request: { userId, appPasswordId: (created["appPassword"] as { id: string }).id } };
    },
  },
  {
    name: "VerifyAppPassword",
    async prepare(userId) {
      const created = await must(AppPasswordService, "createAppPassword", { userId, name: "laptop", scopes: ["imap"] });
      return { service: AppPasswordService, method: "verifyAppPassword", request: { userId, password: created["password"], requiredScope: "imap", clientIp: "192.0.2.1" } };
    },
  },
  {
    name: "ResetSecondFactor",
    async prepare(userId) {
      await activeTotp(userId);
      await must(BackupCodeService, "generateBackupCodes", { userId, count: 5 });
      return { service: AdminService, method: "resetSecondFactor", request: { userId, scope: ResetScope.ALL }, admin: true };
    },
  },
  {
    name: "SetEnforcementPolicy",
    prepare: async (userId) => ({ service: AdminService, method: "setEnforcementPolicy", request: { enforced: true, includeGroups: [`g-${userId}`], excludeGroups: [] }, admin: true }),
  },
  {
    name: "SetProviderPolicy",
    // Everything enabled, as by default: the row and its audit event still change, and no other case is affected.
    prepare: () => Promise.resolve({ service: AdminService, method: "setProviderPolicy", request: { disabledKinds: [] }, admin: true }),
  },
  {
    name: "SetRelyingParty",
    prepare: async (userId) => ({
      service: AdminService,
      method: "setRelyingParty",
      request: { rpId: "example.org", rpName: `rp ${userId}`, allowedOrigins: ["https://example.org"] },
      admin: true,
    }),
  },
  {
    name: "ClearThrottle",
    async prepare(userId) {
      await activeTotp(userId);
      const challenge = await must(AuthenticationService, "challenge", { userId });
      // A wrong code (verified not to be the current one) leaves a failure on the user's throttle.
      const wrong = totpNow() === "000000" ? "111111" : "000000";
      await must(AuthenticationService, "verify", { transactionId: challenge["transactionId"], proof: { case: "otp", value: { code: wrong, factorId: "" } } });
      return { service: AdminService, method: "clearThrottle", request: { userId }, admin: true };
    },
  },
];

let serial = 0;

/** Prepares fresh state, pauses before `step` (undefined: no pause, just count, on the unhurried server), calls, and reports. */
async function attempt(c: (typeof CASES)[number], step: number | undefined, client: ProtocolClient): Promise<{ out: Outcome; steps: number; before: Record<string, string>; after: Record<string, string> }> {
  clock.advance(60_000);
  const userId = `${c.name.toLowerCase()}-${serial++}`;
  const prepared = await c.prepare(userId);
  const before = await snapshot(app.db);
  db.arm(step, PAUSE_MS);
  const out = await client.call(prepared.service, prepared.method, prepared.request, { apiKey: prepared.admin === true ? adminKey : serviceKey });
  // Let the handler finish whatever it still does after the answer, then look.
  await db.idle();
  const steps = db.disarm();
  const after = await snapshot(app.db);
  return { out, steps, before, after };
}

describe("a mutating call whose deadline passes", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s answers DEADLINE_EXCEEDED only when the database is unchanged", async (_name, c) => {
    // An unpaused run: it succeeds, changes the database, and tells how many steps the call has.
    const free = await attempt(c, undefined, setup);
    expect(free.out.code, free.out.message).toBe(0);
    expect(free.after).not.toEqual(free.before);
    expect(free.steps).toBeGreaterThan(1);

    const answers: number[] = [];
    for (let step = 0; step < free.steps; step++) {
      // Alternate the transports, so both the gRPC fast path and connect-node meet every kind of step.
      const { out, after, before } = await attempt(c, step, clients[step % 2] as ProtocolClient);
      answers.push(out.code);
      if (out.code === Code.DeadlineExceeded) {
        expect(after, `${c.name}: DEADLINE_EXCEEDED with a pause before step ${step}, yet the database changed`).toEqual(before);
      } else {
        // Something committed before the pause: the call ran on and its real result came back, or,
        // if what followed the commit outlived the grace after the deadline, UNAVAILABLE (outcome unknown).
        expect([0, Code.Unavailable], `${c.name}, pause before step ${step}: ${out.code} ${out.message}`).toContain(out.code);
        expect(after).not.toEqual(before);
      }
    }
    // A pause before the first step (the API-key lookup) always runs out the deadline.
    expect(answers[0]).toBe(Code.DeadlineExceeded);
  });
});
