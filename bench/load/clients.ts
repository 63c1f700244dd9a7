/**
 * The RPC calls `twofold-bench load` makes, behind one small interface so
 * the load logic does not depend on a transport.
 *
 * The default is twofold/client (`src/client`), the library platform
 * services use; `load` itself defaults to `raw` for the measured logins,
 * because the generator shares a 2-core box with the service and Postgres
 * and must not be what limits the figure: unary gRPC framed by hand
 * (raw-grpc.ts) on the generator's own HTTP/2 connection (lean-h2.ts) costs
 * it about 0.2 ms of CPU per login; the same framing on node:http2
 * (`node-http2`) about 0.5 ms, twofold/client's gRPC (connect-node) about
 * 1.3 ms, and @grpc/grpc-js more again (0.33–1.7 ms per call against the
 * trivial server, where it also made the server spend about twice the CPU).
 * `--protocol connect` always goes through twofold/client (binary, HTTP/2).
 */
import { create, fromBinary, toBinary, type DescMethodUnary, type DescService, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import * as http2 from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { AdminService } from "../../src/gen/twofold/v1/admin_pb.js";
import { AppPasswordService } from "../../src/gen/twofold/v1/app_passwords_pb.js";
import { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import { BackupCodeService } from "../../src/gen/twofold/v1/backup_codes_pb.js";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { createTwofoldClient } from "../../src/client/index.js";
import { LeanH2Connection } from "./lean-h2.js";
import { leanSender, nodeHttp2Sender, rawGrpcService } from "./raw-grpc.js";

/** The wire protocol of the load. */
export type Protocol = "grpc" | "connect";
/** Which library speaks gRPC for the load generator. */
export type GrpcLibrary = "grpc-js" | "client" | "raw" | "node-http2";

/** The unary methods of a service as async functions, the shape connect's `Client<S>` has. */
export type UnaryClient<S extends DescService> = {
  [K in keyof S["method"] as S["method"][K] extends DescMethodUnary ? K : never]: S["method"][K] extends DescMethodUnary<infer I, infer O>
    ? (request: MessageInitShape<I>) => Promise<MessageShape<O>>
    : never;
};

/** One connection to the service, with a client per service the load calls. */
export interface LoadClients {
  auth: UnaryClient<typeof AuthenticationService>;
  enrolment: UnaryClient<typeof EnrolmentService>;
  backupCodes: UnaryClient<typeof BackupCodeService>;
  appPasswords: UnaryClient<typeof AppPasswordService>;
  admin: UnaryClient<typeof AdminService>;
  close(): void;
}

/** Where and how to connect. */
export interface ClientOptions {
  /** `host:port`. */
  target: string;
  apiKey: string;
  protocol: Protocol;
  /** Only for `protocol: "grpc"`; default twofold/client. */
  grpcLibrary?: GrpcLibrary;
  /** Per-call deadline, ms (a stuck call must not hang the run). */
  deadlineMs?: number;
}

const DEFAULT_DEADLINE_MS = 30_000;

/** Opens one HTTP/2 connection's worth of clients. */
export function openClients(opts: ClientOptions): LoadClients {
  if (opts.protocol === "grpc" && opts.grpcLibrary === "grpc-js") return grpcJsClients(opts);
  if (opts.protocol === "grpc" && opts.grpcLibrary === "raw") return rawClients(opts);
  if (opts.protocol === "grpc" && opts.grpcLibrary === "node-http2") return nodeHttp2Clients(opts);
  return libraryClients(opts);
}

/** The gRPC status name of a failed call ("UNAVAILABLE"), or CLIENT_ERROR for anything that is not an RPC status. */
export function statusOf(err: unknown): string {
  if (err instanceof ConnectError) return codeName(err.code);
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "number" && "metadata" in err) {
    return codeName(err.code);
  }
  return "CLIENT_ERROR";
}

/** gRPC code numbers to their canonical names (the numbers are the same in connect and grpc-js). */
export function codeName(code: number): string {
  const name = Code[code];
  if (name === undefined) return `CODE_${code}`;
  return name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** twofold/client, the library platform services use (connect-node underneath), with retries off: the load counts every failure. */
function libraryClients(opts: ClientOptions): LoadClients {
  const c = createTwofoldClient({
    baseUrl: `http://${opts.target}`,
    apiKey: opts.apiKey,
    protocol: opts.protocol,
    timeoutMs: opts.deadlineMs ?? DEFAULT_DEADLINE_MS,
    retry: false,
  });
  return {
    auth: c.authentication,
    enrolment: c.enrolment,
    backupCodes: c.backupCodes,
    appPasswords: c.appPasswords,
    admin: c.admin,
    close: () => c.close(),
  };
}

function grpcJsClients(opts: ClientOptions): LoadClients {
  // Each LoadClients is its own connection: no subchannel shared between them.
  const channel = new grpc.Client(opts.target, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
  const auth = `Bearer ${opts.apiKey}`;
  const deadline = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const client = <S extends DescService>(service: S): UnaryClient<S> => {
    const out: Record<string, (req: unknown) => Promise<unknown>> = {};
    for (const method of service.methods) {
      if (method.methodKind !== "unary") continue;
      const path = `/${service.typeName}/${method.name}`;
      const serialize = (value: unknown): Buffer => Buffer.from(toBinary(method.input, create(method.input, value as never)));
      const deserialize = (bytes: Buffer): unknown => fromBinary(method.output, bytes);
      out[method.localName] = (req) =>
        new Promise((resolve, reject) => {
          const md = new grpc.Metadata();
          md.set("authorization", auth);
          channel.makeUnaryRequest(path, serialize, deserialize, req, md, { deadline: Date.now() + deadline }, (err, res) =>
            err ? reject(err) : resolve(res),
          );
        });
    }
    return out as unknown as UnaryClient<S>;
  };
  return servicesOf(client, () => channel.close());
}

function rawClients(opts: ClientOptions): LoadClients {
  const url = new URL(`http://${opts.target}`);
  const conn = new LeanH2Connection(url.hostname.replace(/^\[(.*)\]$/, "$1"), Number(url.port || 80));
  const sender = leanSender(conn, url.host, `Bearer ${opts.apiKey}`, opts.deadlineMs ?? DEFAULT_DEADLINE_MS);
  const client = <S extends DescService>(service: S): UnaryClient<S> => rawGrpcService(sender, service) as unknown as UnaryClient<S>;
  return servicesOf(client, () => conn.close());
}

function nodeHttp2Clients(opts: ClientOptions): LoadClients {
  const session = http2.connect(`http://${opts.target}`);
  session.on("error", () => undefined);
  const sender = nodeHttp2Sender(session, `Bearer ${opts.apiKey}`, opts.deadlineMs ?? DEFAULT_DEADLINE_MS);
  const client = <S extends DescService>(service: S): UnaryClient<S> => rawGrpcService(sender, service) as unknown as UnaryClient<S>;
  return servicesOf(client, () => session.destroy());
}

/** The services a load run calls, each made by `client`, and how to close them. */
function servicesOf(client: <S extends DescService>(service: S) => UnaryClient<S>, close: () => void): LoadClients {
  return {
    auth: client(AuthenticationService),
    enrolment: client(EnrolmentService),
    backupCodes: client(BackupCodeService),
    appPasswords: client(AppPasswordService),
    admin: client(AdminService),
    close,
  };
}
