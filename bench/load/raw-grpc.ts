import * as http2 from "node:http2";
import { create, fromBinary, toBinary, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { H2StreamError, type LeanH2Connection } from "./lean-h2.js";

/** A unary method as the raw client calls it: request init in, decoded response out. */
type RawUnary = (request: unknown) => Promise<unknown>;

/** What a gRPC call answered: its status and message (from headers or trailers) and the response body. */
interface GrpcReply {
  status: number | undefined;
  message: string;
  body: Buffer;
}

/** Sends one length-prefixed request message to a method (by path) and collects the reply. */
export type GrpcSender = (path: string) => (frame: Buffer) => Promise<GrpcReply>;

/**
 * The lightest gRPC client the load generator can have: unary calls framed by
 * hand (gRPC over HTTP/2's five-byte message prefix and `grpc-status`
 * trailer), protobuf by protobuf-es, over a `GrpcSender`. The generator
 * shares the 2-core box with the service and Postgres, so what it spends per
 * call is taken from what it measures; this costs a fraction of a full client
 * library per call. It does only what the load needs: no compression, no
 * retries, a deadline per call.
 */
export function rawGrpcService<S extends DescService>(sender: GrpcSender, service: S): Record<string, RawUnary> {
  const out: Record<string, RawUnary> = {};
  for (const method of service.methods) {
    if (method.methodKind !== "unary") continue;
    const send = sender(`/${service.typeName}/${method.name}`);
    out[method.localName] = async (request) => {
      const body = toBinary(method.input, create(method.input, request as never));
      const frame = Buffer.allocUnsafe(5 + body.length);
      frame[0] = 0;
      frame.writeUInt32BE(body.length, 1);
      frame.set(body, 5);
      const reply = await send(frame);
      if (reply.status === undefined) throw new ConnectError("no grpc-status in the answer", Code.Unavailable);
      if (reply.status !== 0) throw new ConnectError(reply.message, reply.status as Code);
      const all = reply.body;
      if (all.length < 5) throw new ConnectError("no response message", Code.Internal);
      return fromBinary(method.output, all.subarray(5, 5 + all.readUInt32BE(1)));
    };
  }
  return out;
}

/** Request headers of every call: the same on each, so the lean client sends them as table indices after the first. */
function requestHeaders(path: string, authorization: string, deadlineMs: number): Array<[string, string]> {
  return [
    [":path", path],
    ["content-type", "application/grpc+proto"],
    ["te", "trailers"],
    ["authorization", authorization],
    ["grpc-timeout", `${deadlineMs}m`],
  ];
}

/** A gRPC status and message out of a header or trailer field list (the last `grpc-status` wins). */
function statusOf(fields: Iterable<readonly [string, string]>): { status: number | undefined; message: string } {
  let status: number | undefined;
  let message = "";
  for (const [name, value] of fields) {
    if (name === "grpc-status") status = Number(value);
    else if (name === "grpc-message") message = decodeURIComponent(value);
  }
  return { status, message };
}

/** Calls over the generator's own HTTP/2 connection (lean-h2.ts): the default. */
export function leanSender(conn: LeanH2Connection, authority: string, authorization: string, deadlineMs: number): GrpcSender {
  return (path) => {
    const fields: Array<[string, string]> = [[":method", "POST"], [":scheme", "http"], [":authority", authority], ...requestHeaders(path, authorization, deadlineMs)];
    return async (frame) => {
      try {
        const answer = await conn.request(fields, frame);
        return { ...statusOf(answer.fields), body: answer.data };
      } catch (err) {
        if (err instanceof H2StreamError) throw new ConnectError(err.message, Code.Unavailable);
        throw err;
      }
    };
  };
}

/** Calls over a node:http2 session (`--grpc-library node-http2`), to compare the generator's cost with the lean client's. */
export function nodeHttp2Sender(session: http2.ClientHttp2Session, authorization: string, deadlineMs: number): GrpcSender {
  return (path) => {
    const headers = { ":method": "POST", ...Object.fromEntries(requestHeaders(path, authorization, deadlineMs)) };
    return (frame) =>
      new Promise((resolve, reject) => {
        const stream = session.request(headers, { endStream: false });
        const chunks: Buffer[] = [];
        const fields: Array<[string, string]> = [];
        const take = (h: http2.IncomingHttpHeaders): void => {
          for (const name of ["grpc-status", "grpc-message"]) if (h[name] !== undefined) fields.push([name, String(h[name])]);
        };
        stream.on("response", take);
        stream.on("trailers", take);
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("error", (err) => reject(new ConnectError(err.message, Code.Unavailable)));
        stream.on("close", () => {
          const { status, message } = statusOf(fields);
          if (status === undefined) return reject(new ConnectError(`stream closed (${stream.rstCode})`, Code.Unavailable));
          resolve({ status, message, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) });
        });
        stream.end(frame);
      });
  };
}
