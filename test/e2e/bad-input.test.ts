import * as http2 from "node:http2";
import { create, fromBinary, toBinary, type DescService } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FixedClock } from "../../src/domain/clock.js";
import { BadRequestSchema } from "../../src/gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../src/gen/google/rpc/status_pb.js";
import { AdminService, type ResetScope } from "../../src/gen/twofold/v1/admin_pb.js";
import { AppPasswordService } from "../../src/gen/twofold/v1/app_passwords_pb.js";
import { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import { BackupCodeService } from "../../src/gen/twofold/v1/backup_codes_pb.js";
import { EnrolmentService, ListFactorsRequestSchema } from "../../src/gen/twofold/v1/enrolment_pb.js";
import type { OtpAlgorithm, Purpose } from "../../src/gen/twofold/v1/types_pb.js";
import { createTestApiKey, createTestApp, type TestApp } from "../support/app.js";
import { connectClient } from "../support/clients.js";
import { createGrpcClient, type GrpcTestClient } from "../support/grpc-client.js";
import { failureOf, snapshot, startInProcess, type InProcessServer } from "./helpers.js";

const T0 = new Date("2026-07-01T12:00:10Z");

let app: TestApp;
let srv: InProcessServer;
let serviceKey = "";
let adminKey = "";
let factorId = "";
let transactionId = "";
const grpcClients: GrpcTestClient<DescService>[] = [];

beforeAll(async () => {
  app = await createTestApp({ clock: new FixedClock(T0) });
  srv = await startInProcess(app.deps);
  serviceKey = await createTestApiKey(app, "acme", "service");
  adminKey = await createTestApiKey(app, "acme", "admin");
  // Real ids, so a refusal is about the bad field and not an unknown id.
  const enrolled = await connectClient(EnrolmentService, srv.url, { apiKey: serviceKey }).enrol({
    userId: "bob",
    label: "Phone",
    spec: { case: "totp", value: {} },
  });
  factorId = enrolled.factor?.id ?? "";
  transactionId = (await connectClient(AuthenticationService, srv.url, { apiKey: serviceKey }).challenge({ userId: "bob" })).transactionId;
});
afterAll(async () => {
  for (const c of grpcClients) c.close();
  await srv?.server.close();
  await app?.close();
});

/**
 * A grpc-js client shaped like a Connect `Client<S>`, so one table of cases
 * runs through the gRPC fast path and through Connect JSON alike.
 */
function grpcJsClient<S extends DescService>(service: S, apiKey: string): Client<S> {
  const grpc = createGrpcClient(service, srv.address) as unknown as GrpcTestClient<DescService>;
  grpcClients.push(grpc);
  const methods: Record<string, (req: unknown) => Promise<unknown>> = {};
  for (const m of service.methods) {
    methods[m.localName] = (req) => grpc.unary(m.localName as never, req as never, { apiKey });
  }
  return methods as unknown as Client<S>;
}

type Factory = <S extends DescService>(service: S, apiKey: string) => Client<S>;

const protocols: [string, Factory][] = [
  ["gRPC (@grpc/grpc-js, the fast path)", grpcJsClient],
  ["Connect JSON", (service, apiKey) => connectClient(service, srv.url, { apiKey, httpVersion: "1.1" })],
];

type Case = [rpc: string, call: (client: Factory) => Promise<unknown>, fields: string[]];

/** One representative bad request for each implemented RPC that takes input. */
const cases: Case[] = [
  ["Enrol with an unknown algorithm number", (c) => c(EnrolmentService, serviceKey).enrol({ userId: "bob", label: "Phone", spec: { case: "totp", value: { algorithm: 9 as OtpAlgorithm } } }), ["spec.totp.algorithm"]],
  ["ConfirmEnrolment with a code of letters", (c) => c(EnrolmentService, serviceKey).confirmEnrolment({ userId: "bob", factorId, proof: { case: "otpCode", value: "abcdef" } }), ["otp_code"]],
  ["ListFactors with a control character in user_id", (c) => c(EnrolmentService, serviceKey).listFactors({ userId: "bob\u0007" }), ["user_id"]],
  ["RenameFactor with a malformed factor id", (c) => c(EnrolmentService, serviceKey).renameFactor({ userId: "bob", factorId: "factor-1", label: "Work phone" }), ["factor_id"]],
  ["RemoveFactor with a malformed factor id", (c) => c(EnrolmentService, serviceKey).removeFactor({ userId: "bob", factorId: "'; DROP TABLE factors; --" }), ["factor_id"]],
  ["Challenge with an unknown purpose number", (c) => c(AuthenticationService, serviceKey).challenge({ userId: "bob", purpose: 5 as Purpose }), ["purpose"]],
  ["Verify with a code of letters", (c) => c(AuthenticationService, serviceKey).verify({ transactionId, proof: { case: "otp", value: { code: "abcdef", factorId: "" } } }), ["proof.otp.code"]],
  ["GenerateBackupCodes with too many codes", (c) => c(BackupCodeService, serviceKey).generateBackupCodes({ userId: "bob", count: 21 }), ["count"]],
  ["GetBackupCodeStatus with an empty user_id", (c) => c(BackupCodeService, serviceKey).getBackupCodeStatus({ userId: "" }), ["user_id"]],
  ["CreateAppPassword with an upper-case scope", (c) => c(AppPasswordService, serviceKey).createAppPassword({ userId: "bob", name: "Mail", scopes: ["IMAP"] }), ["scopes[0]"]],
  ["ListAppPasswords with a forged page token", (c) => c(AppPasswordService, serviceKey).listAppPasswords({ userId: "bob", pageToken: "forged" }), ["page_token"]],
  ["RevokeAppPassword with a malformed id", (c) => c(AppPasswordService, serviceKey).revokeAppPassword({ userId: "bob", appPasswordId: "nope" }), ["app_password_id"]],
  ["VerifyAppPassword with a client_ip that is no address", (c) => c(AppPasswordService, serviceKey).verifyAppPassword({ userId: "bob", password: "abcde-fghjk-mnpqr-stvwx-yz012", requiredScope: "imap", clientIp: "not-an-ip" }), ["client_ip"]],
  ["GetUserState with an empty user_id", (c) => c(AdminService, adminKey).getUserState({ userId: "" }), ["user_id"]],
  ["ResetSecondFactor with an unknown scope number", (c) => c(AdminService, adminKey).resetSecondFactor({ userId: "bob", scope: 99 as ResetScope }), ["scope"]],
  ["SetEnforcementPolicy with an empty group", (c) => c(AdminService, adminKey).setEnforcementPolicy({ enforced: true, includeGroups: [""] }), ["include_groups[0]"]],
  ["SetRelyingParty with an origin that is no URL", (c) => c(AdminService, adminKey).setRelyingParty({ rpId: "example.com", rpName: "Example", allowedOrigins: ["not a url"] }), ["allowed_origins[0]"]],
  ["ListAuditEvents with a control character in user_id", (c) => c(AdminService, adminKey).listAuditEvents({ userId: "bob\u0000", pageSize: 10 }), ["user_id"]],
  ["ClearThrottle with an empty user_id", (c) => c(AdminService, adminKey).clearThrottle({ userId: "" }), ["user_id"]],
];

describe.each(protocols)("bad input over %s", (_name, factory) => {
  it.each(cases)("refuses %s with INVALID_ARGUMENT naming the field, changing nothing", async (_rpc, call, fields) => {
    const before = await snapshot(app.db);
    const failure = await failureOf(call(factory));
    expect(Code[failure.code]).toBe(Code[Code.InvalidArgument]);
    expect(failure.fields.sort()).toEqual([...fields].sort());
    expect(await snapshot(app.db)).toEqual(before);
  });
});

/** A ListFactorsRequest on the wire with a 0xff byte inside user_id: what no client library would send. */
function listFactorsWithInvalidUtf8(): Uint8Array {
  const wire = toBinary(ListFactorsRequestSchema, create(ListFactorsRequestSchema, { userId: "bob" }));
  // Field 1 (tag 0x0a), length 3, "bob": turn the "o" into a byte no UTF-8 text contains.
  wire[3] = 0xff;
  return wire;
}

interface RawGrpcAnswer {
  status: string | undefined;
  details: Uint8Array | undefined;
}

/** One gRPC call written by hand on node:http2. */
async function rawGrpc(path: string, message: Uint8Array, apiKey: string): Promise<RawGrpcAnswer> {
  const session = http2.connect(srv.url);
  try {
    return await new Promise<RawGrpcAnswer>((resolve, reject) => {
      const req = session.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc",
        te: "trailers",
        authorization: `Bearer ${apiKey}`,
      });
      let all: http2.IncomingHttpHeaders = {};
      req.on("response", (h) => (all = { ...all, ...h }));
      req.on("trailers", (t) => (all = { ...all, ...t }));
      req.on("data", () => undefined);
      req.on("end", () => {
        const details = all["grpc-status-details-bin"];
        resolve({
          status: all["grpc-status"] as string | undefined,
          details: typeof details === "string" ? Buffer.from(details, "base64") : undefined,
        });
      });
      req.on("error", reject);
      const frame = Buffer.alloc(5 + message.length);
      frame.writeUInt32BE(message.length, 1);
      frame.set(message, 5);
      req.end(frame);
    });
  } finally {
    session.close();
  }
}

describe("invalid UTF-8 on the wire", () => {
  it("is a well-formed message otherwise: the same bytes with a valid user_id decode", () => {
    const wire = listFactorsWithInvalidUtf8();
    wire[3] = 0x6f;
    expect(fromBinary(ListFactorsRequestSchema, wire).userId).toBe("bob");
  });

  it("in user_id is refused through the gRPC fast path with INVALID_ARGUMENT and a BadRequest naming user_id, changing nothing", async () => {
    const before = await snapshot(app.db);
    const out = await rawGrpc("/twofold.v1.EnrolmentService/ListFactors", listFactorsWithInvalidUtf8(), serviceKey);
    expect(out.status).toBe(String(Code.InvalidArgument));
    const status = out.details === undefined ? undefined : fromBinary(StatusSchema, out.details);
    const fields = (status?.details ?? []).flatMap((d) => anyUnpack(d, BadRequestSchema)?.fieldViolations.map((v) => v.field) ?? []);
    expect(fields).toEqual(["user_id"]);
    expect(await snapshot(app.db)).toEqual(before);
  });

  it("in user_id is refused through Connect binary with invalid_argument and a BadRequest naming user_id, changing nothing", async () => {
    const before = await snapshot(app.db);
    const res = await fetch(`${srv.url}/twofold.v1.EnrolmentService/ListFactors`, {
      method: "POST",
      headers: { "content-type": "application/proto", authorization: `Bearer ${serviceKey}` },
      body: listFactorsWithInvalidUtf8(),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code?: string; details?: { type?: string; value?: string }[] };
    expect(body.code).toBe("invalid_argument");
    const fields = (body.details ?? [])
      .filter((d) => d.type === BadRequestSchema.typeName)
      .flatMap((d) => fromBinary(BadRequestSchema, Buffer.from(d.value ?? "", "base64")).fieldViolations.map((v) => v.field));
    expect(fields).toEqual(["user_id"]);
    expect(await snapshot(app.db)).toEqual(before);
  });
});
