import { randomBytes } from "node:crypto";
import type { MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FixedClock } from "../../src/domain/clock.js";
import {
  AuthenticationService,
  type ChallengeRequestSchema,
  type ChallengeResponseSchema,
  type VerifyRequestSchema,
  type VerifyResponseSchema,
} from "../../src/gen/twofold/v1/authentication_pb.js";
import {
  EnrolmentService,
  type ConfirmEnrolmentRequestSchema,
  type ConfirmEnrolmentResponseSchema,
  type EnrolRequestSchema,
  type EnrolResponseSchema,
} from "../../src/gen/twofold/v1/enrolment_pb.js";
import { FactorState, FailureReason, OtpAlgorithm, Provider } from "../../src/gen/twofold/v1/types_pb.js";
import { createTestApiKey, createTestApp, type TestApp } from "../support/app.js";
import { connectClient, grpcWebClient } from "../support/clients.js";
import { createGrpcClient } from "../support/grpc-client.js";
import { oathtoolTotp, startInProcess, type InProcessServer, type OathAlgorithm } from "./helpers.js";

/** 10 s into a 30 s step and a 60 s step. */
const T0 = new Date("2026-05-04T08:00:10Z");

/** The four calls of a TOTP life, as each client library makes them. */
interface TotpClient {
  name: string;
  enrol(req: MessageInitShape<typeof EnrolRequestSchema>): Promise<MessageShape<typeof EnrolResponseSchema>>;
  confirm(req: MessageInitShape<typeof ConfirmEnrolmentRequestSchema>): Promise<MessageShape<typeof ConfirmEnrolmentResponseSchema>>;
  challenge(req: MessageInitShape<typeof ChallengeRequestSchema>): Promise<MessageShape<typeof ChallengeResponseSchema>>;
  verify(req: MessageInitShape<typeof VerifyRequestSchema>): Promise<MessageShape<typeof VerifyResponseSchema>>;
  close(): void;
}

function grpcJs(address: string, apiKey: string): TotpClient {
  const enrolment = createGrpcClient(EnrolmentService, address);
  const auth = createGrpcClient(AuthenticationService, address);
  return {
    name: "gRPC (@grpc/grpc-js)",
    enrol: (req) => enrolment.unary("enrol", req, { apiKey }),
    confirm: (req) => enrolment.unary("confirmEnrolment", req, { apiKey }),
    challenge: (req) => auth.unary("challenge", req, { apiKey }),
    verify: (req) => auth.unary("verify", req, { apiKey }),
    close: () => {
      enrolment.close();
      auth.close();
    },
  };
}

function connect(url: string, apiKey: string): TotpClient {
  const enrolment = connectClient(EnrolmentService, url, { apiKey });
  const auth = connectClient(AuthenticationService, url, { apiKey });
  return {
    name: "Connect (JSON, @connectrpc/connect-node)",
    enrol: (req) => enrolment.enrol(req),
    confirm: (req) => enrolment.confirmEnrolment(req),
    challenge: (req) => auth.challenge(req),
    verify: (req) => auth.verify(req),
    close: () => undefined,
  };
}

function grpcWeb(url: string, apiKey: string): TotpClient {
  const enrolment = grpcWebClient(EnrolmentService, url, { apiKey });
  const auth = grpcWebClient(AuthenticationService, url, { apiKey });
  return {
    name: "gRPC-Web (@connectrpc/connect-web)",
    enrol: (req) => enrolment.enrol(req),
    confirm: (req) => enrolment.confirmEnrolment(req),
    challenge: (req) => auth.challenge(req),
    verify: (req) => auth.verify(req),
    close: () => undefined,
  };
}

interface Combination {
  algorithm: OathAlgorithm;
  digits: 6 | 8;
  period: 30 | 60;
}

const PROTO_ALGORITHM: Record<OathAlgorithm, OtpAlgorithm> = {
  SHA1: OtpAlgorithm.SHA1,
  SHA256: OtpAlgorithm.SHA256,
  SHA512: OtpAlgorithm.SHA512,
};
/** The secret length RFC 6238's reference vectors use for each hash. */
const SECRET_BYTES: Record<OathAlgorithm, number> = { SHA1: 20, SHA256: 32, SHA512: 64 };

const COMBINATIONS: Combination[] = (["SHA1", "SHA256", "SHA512"] as const).flatMap((algorithm) =>
  ([6, 8] as const).flatMap((digits) => ([30, 60] as const).map((period) => ({ algorithm, digits, period }))),
);
const CLIENTS = ["grpc-js", "connect", "grpc-web"] as const;

let app: TestApp;
let clock: FixedClock;
let srv: InProcessServer;
let clients: Record<(typeof CLIENTS)[number], TotpClient>;

beforeAll(async () => {
  clock = new FixedClock(T0);
  app = await createTestApp({ clock });
  srv = await startInProcess(app.deps);
  const apiKey = await createTestApiKey(app, "acme", "service");
  clients = {
    "grpc-js": grpcJs(srv.address, apiKey),
    connect: connect(srv.url, apiKey),
    "grpc-web": grpcWeb(srv.url, apiKey),
  };
});
afterAll(async () => {
  for (const c of Object.values(clients ?? {})) c.close();
  await srv?.server.close();
  await app?.close();
});

/** Each of the 12 combinations on one client, round-robin, so every client does four. */
const rows = COMBINATIONS.map((c, i) => ({ ...c, client: CLIENTS[i % CLIENTS.length] ?? "connect", index: i }));

describe("TOTP end to end with codes from oathtool", () => {
  it.each(rows)(
    "enrols an imported $algorithm secret ($digits digits, $period s) over $client, accepts an oathtool code once and refuses its replay",
    async ({ algorithm, digits, period, client: which, index }) => {
      const client = clients[which];
      const userId = `user-${algorithm}-${digits}-${period}`;
      const secret = randomBytes(SECRET_BYTES[algorithm]);
      const secretHex = secret.toString("hex");
      // Each combination lives in its own hour, so no step is shared with another.
      const start = new Date(T0.getTime() + index * 3_600_000);
      clock.set(start);

      // Enrol with the imported secret: the service hands the very same secret back, pending.
      const enrolled = await client.enrol({
        userId,
        label: `${algorithm} token`,
        spec: { case: "totp", value: { algorithm: PROTO_ALGORITHM[algorithm], digits, periodSeconds: period, secret } },
      });
      expect(enrolled.enrolment.case).toBe("otp");
      expect(enrolled.enrolment.case === "otp" ? enrolled.enrolment.value.secretHex : "").toBe(secretHex);
      expect(enrolled.factor).toMatchObject({ state: FactorState.PENDING, algorithm: PROTO_ALGORITHM[algorithm], digits, periodSeconds: period });
      const factorId = enrolled.factor?.id ?? "";

      // Confirm with the code oathtool shows now.
      const confirmCode = oathtoolTotp(secretHex, { algorithm, digits, period, at: start });
      expect(confirmCode).toMatch(new RegExp(`^[0-9]{${digits}}$`));
      const confirmed = await client.confirm({ userId, factorId, proof: { case: "otpCode", value: confirmCode } });
      expect(confirmed.confirmed).toBe(true);
      expect(confirmed.factor?.state).toBe(FactorState.ACTIVE);

      // One step later, a login: Challenge offers TOTP, Verify accepts oathtool's code.
      const later = new Date(start.getTime() + period * 1000);
      clock.set(later);
      const loginCode = oathtoolTotp(secretHex, { algorithm, digits, period, at: later });
      const first = await client.challenge({ userId });
      expect(first.secondFactorRequired).toBe(true);
      expect(first.providers.map((p) => p.provider)).toContain(Provider.TOTP);
      const accepted = await client.verify({ transactionId: first.transactionId, proof: { case: "otp", value: { code: loginCode, factorId: "" } } });
      expect(accepted.verified).toBe(true);
      expect(accepted.context).toMatchObject({ userId, factorId, provider: Provider.TOTP });

      // The same code in a fresh transaction is a replay.
      const second = await client.challenge({ userId });
      const replayed = await client.verify({ transactionId: second.transactionId, proof: { case: "otp", value: { code: loginCode, factorId: "" } } });
      expect(replayed.verified).toBe(false);
      expect(replayed.reason).toBe(FailureReason.REPLAYED);
    },
  );

  it("spreads the twelve combinations over all three clients", () => {
    const perClient = CLIENTS.map((c) => rows.filter((r) => r.client === c).length);
    expect(perClient).toEqual([4, 4, 4]);
    expect(new Set(rows.map((r) => `${r.algorithm}/${r.digits}/${r.period}`)).size).toBe(12);
  });
});
