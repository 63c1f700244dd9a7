import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnrolRequestSchema } from "../../src/gen/twofold/v1/enrolment_pb.js";
import type { OtpAlgorithm, Purpose, TokenProfile } from "../../src/gen/twofold/v1/types_pb.js";
import { createHarness, invalidFields, snapshot, T0, type Harness } from "./harness.js";

let h: Harness;
let factorId = "";
let transactionId = "";
beforeAll(async () => {
  h = await createHarness();
  h.clock.set(T0);
  const enrolled = await h.enrolment().enrol({ userId: "bob", label: "Phone", spec: { case: "totp", value: {} } });
  factorId = enrolled.factor?.id ?? "";
  transactionId = (await h.auth().challenge({ userId: "bob" })).transactionId;
});
afterAll(async () => {
  await h.app.close();
});

/**
 * A user_id that was not UTF-8 on the wire. protobuf-es refuses such bytes
 * while decoding, but a lenient decoder (and a client encoding a lone
 * surrogate, as this one does) turns them into U+FFFD, which validation must
 * refuse so two different byte strings never collapse into one user.
 */
function userIdFromInvalidUtf8(): string {
  return "ab\uD800";
}

const OVERSIZED_USER = "u".repeat(257);
const UUID = "7d7e0f2a-8a60-4b0f-9c8e-0e3b3d0f6c11";

type Case = [name: string, call: () => Promise<unknown>, fields: string[]];

const cases: Case[] = [
  // Enrol
  ["Enrol: an empty request", () => h.enrolment().enrol({}), ["user_id", "label", "spec"]],
  ["Enrol: an oversized user_id and label", () => h.enrolment().enrol({ userId: OVERSIZED_USER, label: "x".repeat(65), spec: { case: "totp", value: {} } }), ["user_id", "label"]],
  ["Enrol: a user_id of invalid UTF-8", () => h.enrolment().enrol({ userId: userIdFromInvalidUtf8(), label: "Phone", spec: { case: "totp", value: {} } }), ["user_id"]],
  ["Enrol: a user_id with a control character", () => h.enrolment().enrol({ userId: "bob\u0000", label: "Phone", spec: { case: "totp", value: {} } }), ["user_id"]],
  ["Enrol: unknown enum values", () => h.enrolment().enrol({ userId: "bob", label: "Phone", spec: { case: "totp", value: { algorithm: 9 as OtpAlgorithm, tokenProfile: 7 as TokenProfile } } }), ["spec.totp.algorithm", "spec.totp.token_profile"]],
  ["Enrol: bad digits, period and secret", () => h.enrolment().enrol({ userId: "bob", label: "Phone", spec: { case: "totp", value: { digits: 7, periodSeconds: 45, secret: new Uint8Array(10) } } }), ["spec.totp.digits", "spec.totp.period_seconds", "spec.totp.secret"]],
  ["Enrol: an oversized imported secret", () => h.enrolment().enrol({ userId: "bob", label: "Phone", spec: { case: "totp", value: { secret: new Uint8Array(65) } } }), ["spec.totp.secret"]],
  ["Enrol: a colon in issuer and account name", () => h.enrolment().enrol({ userId: "bob", label: "Phone", spec: { case: "totp", value: { issuer: "a:b", accountName: "c:d" } } }), ["spec.totp.issuer", "spec.totp.account_name"]],
  ["Enrol: a control character in the label", () => h.enrolment().enrol({ userId: "bob", label: "Ph\none", spec: { case: "totp", value: {} } }), ["label"]],
  // ConfirmEnrolment
  ["ConfirmEnrolment: an empty request", () => h.enrolment().confirmEnrolment({}), ["user_id", "factor_id", "proof"]],
  ["ConfirmEnrolment: a code of letters", () => h.enrolment().confirmEnrolment({ userId: "bob", factorId, proof: { case: "otpCode", value: "abcdef" } }), ["otp_code"]],
  ["ConfirmEnrolment: a code of 7 digits and a malformed factor id", () => h.enrolment().confirmEnrolment({ userId: "bob", factorId: "factor-1", proof: { case: "otpCode", value: "1234567" } }), ["factor_id", "otp_code"]],
  ["ConfirmEnrolment: an oversized code", () => h.enrolment().confirmEnrolment({ userId: "bob", factorId, proof: { case: "otpCode", value: "1".repeat(10_000) } }), ["otp_code"]],
  // ListFactors
  ["ListFactors: an empty user_id", () => h.enrolment().listFactors({}), ["user_id"]],
  ["ListFactors: an oversized user_id", () => h.enrolment().listFactors({ userId: OVERSIZED_USER }), ["user_id"]],
  ["ListFactors: a user_id of invalid UTF-8", () => h.enrolment().listFactors({ userId: userIdFromInvalidUtf8() }), ["user_id"]],
  // RenameFactor
  ["RenameFactor: an empty request", () => h.enrolment().renameFactor({}), ["user_id", "factor_id", "label"]],
  ["RenameFactor: an oversized label and a malformed id", () => h.enrolment().renameFactor({ userId: "bob", factorId: `${factorId}x`, label: "é".repeat(65) }), ["factor_id", "label"]],
  // RemoveFactor
  ["RemoveFactor: an empty request", () => h.enrolment().removeFactor({}), ["user_id", "factor_id"]],
  ["RemoveFactor: a malformed factor id", () => h.enrolment().removeFactor({ userId: "bob", factorId: "'; DROP TABLE factors; --" }), ["factor_id"]],
  // Challenge
  ["Challenge: an empty request", () => h.auth().challenge({}), ["user_id"]],
  ["Challenge: an unknown purpose, a bad ip and a bad group", () => h.auth().challenge({ userId: "bob", purpose: 5 as Purpose, clientIp: "not-an-ip", userGroups: ["ok", ""] }), ["purpose", "user_groups[1]", "client_ip"]],
  ["Challenge: too many groups", () => h.auth().challenge({ userId: "bob", userGroups: Array.from({ length: 101 }, (_, i) => `g${i}`) }), ["user_groups"]],
  ["Challenge: a user_id of invalid UTF-8", () => h.auth().challenge({ userId: userIdFromInvalidUtf8() }), ["user_id"]],
  // Verify
  ["Verify: an empty request", () => h.auth().verify({}), ["transaction_id", "proof"]],
  ["Verify: a code of letters", () => h.auth().verify({ transactionId, proof: { case: "otp", value: { code: "abcdef", factorId: "" } } }), ["proof.otp.code"]],
  ["Verify: malformed ids and an oversized ip", () => h.auth().verify({ transactionId: "12", clientIp: "1".repeat(100), proof: { case: "otp", value: { code: "123456", factorId: "nope" } } }), ["transaction_id", "client_ip", "proof.otp.factor_id"]],
  ["Verify: an empty backup code", () => h.auth().verify({ transactionId, proof: { case: "backupCode", value: { code: "" } } }), ["proof.backup_code.code"]],
  ["Verify: an oversized backup code", () => h.auth().verify({ transactionId, proof: { case: "backupCode", value: { code: "A".repeat(1000) } } }), ["proof.backup_code.code"]],
  ["Verify: an empty code", () => h.auth().verify({ transactionId: UUID, proof: { case: "otp", value: { code: "", factorId: "" } } }), ["proof.otp.code"]],
];

describe("bad input", () => {
  it("refuses a user_id holding U+FFFD, the mark of bytes that were not UTF-8", async () => {
    const before = await snapshot(h.app.db);
    expect(await invalidFields(h.enrolment().listFactors({ userId: "ab\uFFFD" }))).toEqual(["user_id"]);
    expect(await invalidFields(h.auth().challenge({ userId: "\uFFFD" }))).toEqual(["user_id"]);
    expect(await snapshot(h.app.db)).toEqual(before);
  });

  it("refuses raw invalid UTF-8 while decoding, before any handler runs", () => {
    const wire = toBinary(EnrolRequestSchema, create(EnrolRequestSchema, { userId: "ab" }));
    wire[2] = 0xff;
    wire[3] = 0xfe;
    expect(() => fromBinary(EnrolRequestSchema, wire)).toThrow();
  });

  it.each(cases)("refuses %s with INVALID_ARGUMENT naming the fields, changing nothing", async (_name, call, fields) => {
    const before = await snapshot(h.app.db);
    expect((await invalidFields(call())).sort()).toEqual([...fields].sort());
    expect(await snapshot(h.app.db)).toEqual(before);
  });
});
