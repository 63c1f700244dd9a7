/**
 * The three servers `twofold-bench transport` compares, each started in a child
 * process of its own (`bench/transport/servers.ts <kind>`), so the load
 * generator and each server have their own event loop. Every one serves the
 * same trivial ListFactors with the same constant-time API key lookup, so
 * the difference measured is the transport.
 */
import * as http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import {
  EnrolmentService,
  ListFactorsRequestSchema,
  ListFactorsResponseSchema,
  type ListFactorsRequest,
} from "../../src/gen/twofold/v1/enrolment_pb.js";
import { registration, startServer, type Caller } from "../targets.js";

/** Passed by the transport command, which sends it with every request. */
const benchKey = process.env["TWOFOLD_BENCH_KEY"] ?? "tf_bench_key_0123456789";
const keys = new Map<string, Caller>([[benchKey, { tenant: "bench", keyId: "k1", role: "service" }]]);
const authenticate = (token: string): Promise<Caller | undefined> => Promise.resolve(keys.get(token));

/** The trivial handler: a fixed small response. */
const answer = { factors: [{ id: "f-1", label: "phone" }] };
const listFactors = (_req: ListFactorsRequest) => answer;

async function grpcJs(): Promise<number> {
  const server = new grpc.Server();
  const method = EnrolmentService.method.listFactors;
  server.addService(
    {
      listFactors: {
        path: `/${EnrolmentService.typeName}/${method.name}`,
        requestStream: false,
        responseStream: false,
        requestSerialize: (v: unknown) => Buffer.from(toBinary(ListFactorsRequestSchema, create(ListFactorsRequestSchema, v as never))),
        requestDeserialize: (b: Buffer) => fromBinary(ListFactorsRequestSchema, b),
        responseSerialize: (v: unknown) => Buffer.from(toBinary(ListFactorsResponseSchema, create(ListFactorsResponseSchema, v as never))),
        responseDeserialize: (b: Buffer) => fromBinary(ListFactorsResponseSchema, b),
      },
    },
    {
      listFactors(call: grpc.ServerUnaryCall<ListFactorsRequest, unknown>, callback: grpc.sendUnaryData<unknown>) {
        const [auth] = call.metadata.get("authorization");
        const token = typeof auth === "string" && auth.startsWith("Bearer ") ? auth.slice(7) : "";
        authenticate(token).then((caller) => {
          if (caller === undefined) callback({ code: grpc.status.UNAUTHENTICATED, details: "missing or invalid API key" });
          else callback(null, listFactors(call.request));
        }, callback);
      },
    },
  );
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
}

async function twofold(logging: boolean): Promise<number> {
  const logger = logging ? pino({ level: "info" }, pino.destination({ dest: "/dev/null", sync: false })) : pino({ level: "silent" });
  const server = await startServer({
    config: { addr: { host: "127.0.0.1", port: 0 }, maxMessageBytes: 64 * 1024, maxConcurrentStreams: 1000, requestTimeoutMs: 10_000 },
    logger,
    services: [registration(EnrolmentService, { listFactors })],
    authenticate,
  });
  return server.port;
}

async function connectOnly(): Promise<number> {
  const handler = connectNodeAdapter({
    routes(router) {
      router.service(EnrolmentService, { listFactors });
    },
  });
  const server = http2.createServer({ settings: { maxConcurrentStreams: 1000 } }, handler);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
}

const kind = process.argv[2];
const start: Record<string, () => Promise<number>> = {
  "grpc-js": grpcJs,
  twofold: () => twofold(true),
  "twofold-nolog": () => twofold(false),
  "connect-node": connectOnly,
};
const run = kind === undefined ? undefined : start[kind];
if (run === undefined) {
  process.stderr.write(`usage: servers.ts ${Object.keys(start).join("|")}\n`);
  process.exit(2);
}
run().then(
  (port) => process.stdout.write(`${JSON.stringify({ port })}\n`),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
// Exit cleanly on kill so `--cpu-prof` runs write their profile.
process.on("SIGTERM", () => process.exit(0));
