import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../src/gen/twofold/v1/admin_pb.js";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { adminKey, secretCause, serviceKey, startFixtureServer, type FixtureServer } from "./fixture.js";
import { protocolClients, type ProtocolClient } from "./protocol-matrix.js";

let fx: FixtureServer;
let clients: ProtocolClient[];

beforeAll(async () => {
  fx = await startFixtureServer();
  clients = protocolClients(fx.server.url, fx.address);
});

afterAll(async () => {
  clients.forEach((c) => c.close());
  await fx.server.close();
});

const names = [
  "gRPC (@grpc/grpc-js, HTTP/2)",
  "Connect (JSON, HTTP/1.1)",
  "Connect (binary, HTTP/1.1)",
  "Connect (JSON, HTTP/2)",
  "Connect (binary, HTTP/2)",
  "gRPC-Web (@connectrpc/connect-web, fetch, HTTP/1.1)",
  "gRPC-Web (@connectrpc/connect-node, HTTP/2)",
  "gRPC (@connectrpc/connect-node, HTTP/2)",
];

describe.each(names)("over %s", (name) => {
  const client = (): ProtocolClient => {
    const c = clients.find((x) => x.name === name);
    if (c === undefined) throw new Error(`no client ${name}`);
    return c;
  };
  const listFactors = (userId: string, spec: Parameters<ProtocolClient["call"]>[3] = { apiKey: serviceKey }) =>
    client().call(EnrolmentService, "listFactors", { userId }, spec);

  it("calls the handler with the caller and request id on the context", async () => {
    const out = await listFactors("alice", { apiKey: serviceKey, requestId: "req-123" });
    expect(out.code).toBe(0);
    expect(out.response).toMatchObject({ factors: [{ id: "acme:alice", label: "req-123" }] });
  });

  it("refuses a call without an API key as UNAUTHENTICATED", async () => {
    const out = await listFactors("alice", {});
    expect(out.code).toBe(Code.Unauthenticated);
    expect(out.message).toBe("missing or invalid API key");
  });

  it("refuses an unknown API key with the same message as a missing one", async () => {
    const out = await listFactors("alice", { apiKey: "tf_not_a_key" });
    expect(out.code).toBe(Code.Unauthenticated);
    expect(out.message).toBe("missing or invalid API key");
  });

  it("refuses a service key on AdminService as PERMISSION_DENIED and lets an admin key through", async () => {
    const denied = await client().call(AdminService, "getUserState", { userId: "alice" }, { apiKey: serviceKey });
    expect(denied.code).toBe(Code.PermissionDenied);
    const allowed = await client().call(AdminService, "getUserState", { userId: "alice" }, { apiKey: adminKey });
    expect(allowed.code).toBe(0);
    expect(allowed.response).toMatchObject({ factors: [{ id: "state:alice" }] });
  });

  it("answers UNIMPLEMENTED for a method the registration leaves out", async () => {
    const out = await client().call(EnrolmentService, "renameFactor", { userId: "alice", factorId: "f", label: "x" }, { apiKey: serviceKey });
    expect(out.code).toBe(Code.Unimplemented);
  });

  it("carries INVALID_ARGUMENT with a BadRequest naming the field", async () => {
    const out = await listFactors("invalid");
    expect(out.code).toBe(Code.InvalidArgument);
    expect(out.badRequest?.fieldViolations.map((v) => v.field)).toEqual(["user_id"]);
    expect(out.badRequest?.fieldViolations[0]?.description).toBe("must be 1-256 bytes of UTF-8");
  });

  it("carries RESOURCE_EXHAUSTED with a RetryInfo delay and the THROTTLED reason", async () => {
    const out = await listFactors("throttled");
    expect(out.code).toBe(Code.ResourceExhausted);
    expect(out.retryInfo?.retryDelay?.seconds).toBe(3n);
    expect(out.errorInfo).toMatchObject({ reason: "THROTTLED", domain: "twofold" });
  });

  it("answers INTERNAL without the cause's message and logs the cause instead", async () => {
    const out = await listFactors("boom");
    expect(out.code).toBe(Code.Internal);
    expect(out.message).toBe("internal error");
    expect(JSON.stringify(out)).not.toContain("hunter2");
    expect(fx.logs.some((l) => l["msg"] === "internal error" && JSON.stringify(l["err"]).includes(secretCause))).toBe(true);
  });

  it("refuses a request message larger than maxMessageBytes as RESOURCE_EXHAUSTED", async () => {
    const out = await listFactors("a".repeat(20 * 1024));
    expect(out.code).toBe(Code.ResourceExhausted);
  });

  it("refuses to send a response message larger than maxMessageBytes", async () => {
    const out = await listFactors("big");
    expect(out.code).toBe(Code.ResourceExhausted);
  });

  it("honours the client's deadline", async () => {
    const started = Date.now();
    const out = await listFactors("slow", { apiKey: serviceKey, deadlineMs: 300 });
    expect(out.code).toBe(Code.DeadlineExceeded);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe("the rpc log line", () => {
  it("records method, code, tenant, request id and protocol, and never the key", async () => {
    const grpc = clients[0] as ProtocolClient;
    await grpc.call(EnrolmentService, "listFactors", { userId: "logged" }, { apiKey: serviceKey, requestId: "log-1" });
    const line = fx.logs.find((l) => l["msg"] === "rpc" && l["requestId"] === "log-1");
    expect(line).toMatchObject({ method: "twofold.v1.EnrolmentService/ListFactors", code: "ok", tenant: "acme", protocol: "grpc" });
    expect(typeof line?.["durationMs"]).toBe("number");
    expect(JSON.stringify(fx.logs)).not.toContain(serviceKey);
  });

  it("names the protocol and error code of a Connect call", async () => {
    const connect = clients[1] as ProtocolClient;
    await connect.call(EnrolmentService, "listFactors", { userId: "invalid" }, { apiKey: serviceKey, requestId: "log-2" });
    const line = fx.logs.find((l) => l["msg"] === "rpc" && l["requestId"] === "log-2");
    expect(line).toMatchObject({ code: "invalid_argument", protocol: "connect", tenant: "acme" });
  });
});

describe("the server's deadline cap", () => {
  let capped: FixtureServer;
  let cappedClients: ProtocolClient[];
  beforeAll(async () => {
    capped = await startFixtureServer({ requestTimeoutMs: 300 });
    cappedClients = protocolClients(capped.server.url, capped.address);
  });
  afterAll(async () => {
    cappedClients.forEach((c) => c.close());
    await capped.server.close();
  });

  it("answers DEADLINE_EXCEEDED on every protocol when a call outlives requestTimeoutMs, even with a longer client deadline", async () => {
    for (const c of cappedClients) {
      const started = Date.now();
      const out = await c.call(EnrolmentService, "listFactors", { userId: "slow" }, { apiKey: serviceKey, deadlineMs: 60_000 });
      expect({ client: c.name, code: out.code }).toEqual({ client: c.name, code: Code.DeadlineExceeded });
      expect(Date.now() - started).toBeLessThan(3000);
    }
  });
});
