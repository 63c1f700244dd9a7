import { create, createFileRegistry, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../src/gen/grpc/health/v1/health_pb.js";
import {
  ServerReflectionRequestSchema as V1Request,
  ServerReflectionResponseSchema as V1Response,
  type ServerReflectionResponse,
} from "../../src/gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1Alpha } from "../../src/gen/grpc/reflection/v1alpha/reflection_pb.js";
import { connectTransport } from "../support/clients.js";
import { createGrpcClient, grpcMetadata } from "../support/grpc-client.js";
import { serviceKey, startFixtureServer, type FixtureServer } from "./fixture.js";

let fx: FixtureServer;
let grpcClients: grpc.Client[] = [];

beforeAll(async () => {
  fx = await startFixtureServer();
});

afterAll(async () => {
  grpcClients.forEach((c) => c.close());
  grpcClients = [];
  await fx.server.close();
});

function healthOverGrpc() {
  const client = createGrpcClient(Health, fx.address);
  grpcClients.push(client.raw);
  return client;
}

/**
 * Sends reflection requests on one grpc.reflection.v1 stream through grpc-js
 * (raw bytes, no reflection client library) and collects the answers.
 */
async function reflectV1(requests: MessageInitShape<typeof V1Request>[], apiKey: string | null = serviceKey): Promise<ServerReflectionResponse[]> {
  const client = new grpc.Client(fx.address, grpc.credentials.createInsecure());
  grpcClients.push(client);
  const call = client.makeBidiStreamRequest(
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    (m: MessageInitShape<typeof V1Request>) => Buffer.from(toBinary(V1Request, create(V1Request, m))),
    (b: Buffer) => fromBinary(V1Response, b),
    grpcMetadata(apiKey === null ? {} : { apiKey }),
  );
  const answers: ServerReflectionResponse[] = [];
  const done = new Promise<void>((resolve, reject) => {
    call.on("data", (m: ServerReflectionResponse) => answers.push(m));
    call.on("end", resolve);
    call.on("error", reject);
  });
  for (const r of requests) call.write(r);
  call.end();
  await done;
  return answers;
}

function decodeFiles(answer: ServerReflectionResponse | undefined): FileDescriptorProto[] {
  if (answer?.messageResponse.case !== "fileDescriptorResponse") throw new Error(`not a file answer: ${answer?.messageResponse.case}`);
  return answer.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b));
}

describe("grpc.health.v1.Health", () => {
  it("answers SERVING for the server as a whole without an API key, over gRPC", async () => {
    const res = await healthOverGrpc().unary("check", { service: "" });
    expect(res.status).toBe(Serving.SERVING);
  });

  it("answers SERVING for each twofold service without an API key, over Connect", async () => {
    const client = createClient(Health, connectTransport(fx.server.url, { httpVersion: "1.1" }));
    const res = await client.check({ service: "twofold.v1.EnrolmentService" });
    expect(res.status).toBe(Serving.SERVING);
  });

  it("answers NOT_FOUND for a service it does not serve", async () => {
    const err = await healthOverGrpc().unary("check", { service: "no.such.Service" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it("answers NOT_SERVING while the readiness check fails", async () => {
    fx.setReady(false);
    try {
      const res = await healthOverGrpc().unary("check", { service: "" });
      expect(res.status).toBe(Serving.NOT_SERVING);
    } finally {
      fx.setReady(true);
    }
  });

  it("streams a change of status to a Watch caller", async () => {
    const client = createClient(Health, connectTransport(fx.server.url, { httpVersion: "2" }));
    const abort = new AbortController();
    const seen: Serving[] = [];
    try {
      for await (const res of client.watch({ service: "" }, { signal: abort.signal })) {
        seen.push(res.status);
        if (seen.length === 1) fx.setReady(false);
        if (seen.length === 2) break;
      }
    } finally {
      abort.abort();
      fx.setReady(true);
    }
    expect(seen).toEqual([Serving.SERVING, Serving.NOT_SERVING]);
  });

  it("reports SERVICE_UNKNOWN on Watch of an unknown service", async () => {
    const client = createClient(Health, connectTransport(fx.server.url, { httpVersion: "2" }));
    const abort = new AbortController();
    let first: Serving | undefined;
    for await (const res of client.watch({ service: "no.such.Service" }, { signal: abort.signal })) {
      first = res.status;
      break;
    }
    abort.abort();
    expect(first).toBe(Serving.SERVICE_UNKNOWN);
  });
});

describe("server reflection", () => {
  it("lists every served service over grpc.reflection.v1", async () => {
    const [answer] = await reflectV1([{ messageRequest: { case: "listServices", value: "*" } }]);
    expect(answer?.messageResponse.case).toBe("listServicesResponse");
    const names = answer?.messageResponse.case === "listServicesResponse" ? answer.messageResponse.value.service.map((s) => s.name) : [];
    expect(names).toEqual(
      expect.arrayContaining([
        "twofold.v1.EnrolmentService",
        "twofold.v1.AdminService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]),
    );
  });

  it("returns the file declaring a symbol with every file it imports, enough to build a registry", async () => {
    const [answer] = await reflectV1([{ messageRequest: { case: "fileContainingSymbol", value: "twofold.v1.EnrolmentService.ListFactors" } }]);
    const files = decodeFiles(answer);
    expect(files[0]?.name).toBe("twofold/v1/enrolment.proto");
    expect(files.map((f) => f.name)).toEqual(expect.arrayContaining(["twofold/v1/types.proto", "google/protobuf/timestamp.proto"]));
    const [first] = files;
    if (first === undefined) throw new Error("no file");
    const registry = createFileRegistry(first, (name) => files.find((f) => f.name === name));
    const request = registry.getMessage("twofold.v1.ListFactorsRequest") as DescMessage;
    expect(request.fields.map((f) => f.name)).toContain("user_id");
    expect(registry.getService("twofold.v1.EnrolmentService")?.methods.map((m) => m.name)).toContain("ListFactors");
  });

  it("returns a file by name, and an ErrorResponse NOT_FOUND on the same stream for an unknown one", async () => {
    const answers = await reflectV1([
      { messageRequest: { case: "fileByFilename", value: "no/such.proto" } },
      { messageRequest: { case: "fileByFilename", value: "twofold/v1/admin.proto" } },
    ]);
    expect(answers[0]?.messageResponse).toMatchObject({ case: "errorResponse", value: { errorCode: Code.NotFound } });
    expect(decodeFiles(answers[1])[0]?.name).toBe("twofold/v1/admin.proto");
  });

  it("knows the google.rpc error detail messages, so tools can print error details", async () => {
    const [answer] = await reflectV1([{ messageRequest: { case: "fileContainingSymbol", value: "google.rpc.BadRequest" } }]);
    expect(decodeFiles(answer)[0]?.name).toBe("google/rpc/error_details.proto");
  });

  it("requires an API key", async () => {
    const err = await reflectV1([{ messageRequest: { case: "listServices", value: "*" } }], null).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
  });

  it("answers grpc.reflection.v1alpha too, over Connect", async () => {
    const client = createClient(ReflectionV1Alpha, connectTransport(fx.server.url, { httpVersion: "2", binary: true, apiKey: serviceKey }));
    async function* one() {
      yield { messageRequest: { case: "fileContainingSymbol" as const, value: "twofold.v1.AdminService" } };
      yield { messageRequest: { case: "listServices" as const, value: "*" } };
    }
    const answers: MessageShape<typeof ReflectionV1Alpha.method.serverReflectionInfo.output>[] = [];
    for await (const a of client.serverReflectionInfo(one())) answers.push(a);
    expect(answers[0]?.messageResponse.case).toBe("fileDescriptorResponse");
    const first = answers[0]?.messageResponse.value;
    const bytes = first !== undefined && "fileDescriptorProto" in first ? first.fileDescriptorProto[0] : undefined;
    expect(bytes === undefined ? undefined : fromBinary(FileDescriptorProtoSchema, bytes).name).toBe("twofold/v1/admin.proto");
    const listed = answers[1]?.messageResponse;
    expect(listed?.case).toBe("listServicesResponse");
    const names = listed?.case === "listServicesResponse" ? listed.value.service.map((s) => s.name) : [];
    expect(names).toContain("twofold.v1.EnrolmentService");
  });

  it("refuses reflection without a key over Connect as UNAUTHENTICATED", async () => {
    const client = createClient(ReflectionV1Alpha, connectTransport(fx.server.url, { httpVersion: "2", binary: true }));
    async function* one() {
      yield { messageRequest: { case: "listServices" as const, value: "*" } };
    }
    const err = await (async () => {
      for await (const _ of client.serverReflectionInfo(one())) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Unauthenticated);
  });
});
