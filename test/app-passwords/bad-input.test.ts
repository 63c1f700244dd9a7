import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FixedClock } from "../../src/domain/clock.js";
import { BadRequestSchema } from "../../src/gen/google/rpc/error_details_pb.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { clientsFor, snapshot, START, type Clients } from "../backup-codes/harness.js";

let app: TestApp;
let rpc: Clients;
let password = "";
let id = "";

beforeAll(async () => {
  app = await createTestApp({ clock: new FixedClock(START) });
  rpc = clientsFor(app.deps);
  const created = await rpc.apps.createAppPassword({ userId: "alice", name: "laptop", scopes: ["imap"] });
  password = created.password;
  id = created.appPassword?.id ?? "";
});
afterAll(async () => app.close());

/** The fields named by the INVALID_ARGUMENT the call must end in. */
async function badFields(call: Promise<unknown>): Promise<string[]> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  const ce = err as ConnectError;
  expect(ce.code).toBe(Code.InvalidArgument);
  return ce.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
}

const TEN_YEARS_S = 10n * 36525n * 864n;

describe("bad input to the app password RPCs", () => {
  const cases: [string, () => Promise<unknown>, string[]][] = [
    ["create: an empty user_id", () => rpc.apps.createAppPassword({ userId: "", name: "x", scopes: ["imap"] }), ["user_id"]],
    ["create: a user_id with a newline", () => rpc.apps.createAppPassword({ userId: "a\nb", name: "x", scopes: ["imap"] }), ["user_id"]],
    ["create: an empty name", () => rpc.apps.createAppPassword({ userId: "alice", name: "", scopes: ["imap"] }), ["name"]],
    ["create: a blank name", () => rpc.apps.createAppPassword({ userId: "alice", name: "   ", scopes: ["imap"] }), ["name"]],
    ["create: a 65-character name", () => rpc.apps.createAppPassword({ userId: "alice", name: "n".repeat(65), scopes: ["imap"] }), ["name"]],
    ["create: a name with a control character", () => rpc.apps.createAppPassword({ userId: "alice", name: "lap\u001btop", scopes: ["imap"] }), ["name"]],
    ["create: no scopes", () => rpc.apps.createAppPassword({ userId: "alice", name: "x", scopes: [] }), ["scopes"]],
    [
      "create: 17 scopes",
      () => rpc.apps.createAppPassword({ userId: "alice", name: "x", scopes: Array.from({ length: 17 }, (_, i) => `s${i}`) }),
      ["scopes"],
    ],
    ["create: an upper-case scope", () => rpc.apps.createAppPassword({ userId: "alice", name: "x", scopes: ["imap", "SMTP"] }), ["scopes[1]"]],
    ["create: an empty scope", () => rpc.apps.createAppPassword({ userId: "alice", name: "x", scopes: [""] }), ["scopes[0]"]],
    ["create: a 65-character scope", () => rpc.apps.createAppPassword({ userId: "alice", name: "x", scopes: ["s".repeat(65)] }), ["scopes[0]"]],
    ["create: a ttl under a minute", () => rpc.apps.createAppPassword({ userId: "alice", name: "x", scopes: ["imap"], ttl: { seconds: 59n } }), ["ttl"]],
    ["create: a zero ttl", () => rpc.apps.createAppPassword({ userId: "alice", name: "x", scopes: ["imap"], ttl: {} }), ["ttl"]],
    ["create: a negative ttl", () => rpc.apps.createAppPassword({ userId: "alice", name: "x", scopes: ["imap"], ttl: { seconds: -3600n } }), ["ttl"]],
    [
      "create: a ttl over ten years",
      () => rpc.apps.createAppPassword({ userId: "alice", name: "x", scopes: ["imap"], ttl: { seconds: TEN_YEARS_S + 1n } }),
      ["ttl"],
    ],
    [
      "create: a ttl with out-of-range nanos",
      () => rpc.apps.createAppPassword({ userId: "alice", name: "x", scopes: ["imap"], ttl: { seconds: 3600n, nanos: 2_000_000_000 } }),
      ["ttl"],
    ],
    [
      "create: a huge ttl",
      () => rpc.apps.createAppPassword({ userId: "alice", name: "x", scopes: ["imap"], ttl: { seconds: 9_000_000_000_000_000_000n } }),
      ["ttl"],
    ],
    [
      "create: every field bad at once",
      () => rpc.apps.createAppPassword({ userId: "", name: "", scopes: ["Bad"], ttl: { seconds: 1n } }),
      ["user_id", "name", "scopes[0]", "ttl"],
    ],
    ["list: an empty user_id", () => rpc.apps.listAppPasswords({ userId: "" }), ["user_id"]],
    ["list: a 257-byte user_id", () => rpc.apps.listAppPasswords({ userId: "u".repeat(257) }), ["user_id"]],
    ["list: a page_token that is not base64url", () => rpc.apps.listAppPasswords({ userId: "alice", pageToken: "not a token!" }), ["page_token"]],
    ["list: a forged page_token", () => rpc.apps.listAppPasswords({ userId: "alice", pageToken: "A".repeat(54) }), ["page_token"]],
    ["list: an oversized page_token", () => rpc.apps.listAppPasswords({ userId: "alice", pageToken: "A".repeat(129) }), ["page_token"]],
    ["revoke: an id that is not a UUID", () => rpc.apps.revokeAppPassword({ userId: "alice", appPasswordId: "nope" }), ["app_password_id"]],
    ["revoke: an empty id", () => rpc.apps.revokeAppPassword({ userId: "alice", appPasswordId: "" }), ["app_password_id"]],
    ["revoke: an empty user_id", () => rpc.apps.revokeAppPassword({ userId: "", appPasswordId: id }), ["user_id"]],
    ["verify: an empty password", () => rpc.apps.verifyAppPassword({ userId: "alice", password: "", requiredScope: "imap" }), ["password"]],
    [
      "verify: an oversized password",
      () => rpc.apps.verifyAppPassword({ userId: "alice", password: "A".repeat(129), requiredScope: "imap" }),
      ["password"],
    ],
    [
      "verify: a password with a control character",
      () => rpc.apps.verifyAppPassword({ userId: "alice", password: `${password}\u0007`, requiredScope: "imap" }),
      ["password"],
    ],
    ["verify: an empty required_scope", () => rpc.apps.verifyAppPassword({ userId: "alice", password, requiredScope: "" }), ["required_scope"]],
    ["verify: a malformed required_scope", () => rpc.apps.verifyAppPassword({ userId: "alice", password, requiredScope: "imap smtp" }), ["required_scope"]],
    [
      "verify: a client_ip that is not an address",
      () => rpc.apps.verifyAppPassword({ userId: "alice", password, requiredScope: "imap", clientIp: "localhost" }),
      ["client_ip"],
    ],
    ["verify: a user_id with U+FFFD", () => rpc.apps.verifyAppPassword({ userId: "\uFFFD", password, requiredScope: "imap" }), ["user_id"]],
    [
      "verify: every field bad at once",
      () => rpc.apps.verifyAppPassword({ userId: "", password: "", requiredScope: "", clientIp: "x" }),
      ["user_id", "password", "required_scope", "client_ip"],
    ],
  ];

  it.each(cases)("answers INVALID_ARGUMENT naming the field for %s, changing nothing", async (_what, call, fields) => {
    const before = await snapshot(app.db);
    expect(await badFields(call())).toEqual(fields);
    expect(await snapshot(app.db)).toBe(before);
  });

  it("still verifies the untouched app password afterwards", async () => {
    expect((await rpc.apps.verifyAppPassword({ userId: "alice", password, requiredScope: "imap" })).verified).toBe(true);
  });

  it("treats a well-formed but wrong-length password as a wrong code, not bad input", async () => {
    const res = await rpc.apps.verifyAppPassword({ userId: "alice", password: password.slice(0, -1), requiredScope: "imap" });
    expect(res.verified).toBe(false);
  });
});
