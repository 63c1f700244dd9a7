import * as http2 from "node:http2";
import { create, fromBinary, toBinary, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

/** A unary method as the raw client calls it: request init in, decoded response out. */
type RawUnary = (request: unknown) => Promise<unknown>;

/**
 * The lightest gRPC client the load generator can have: unary calls framed by
 * hand on one node:http2 session (RFC 9113; gRPC over HTTP/2's five-byte
 * message prefix and `grpc-status` trailer), protobuf by protobuf-es. The
 * generator shares the 2-core box with the service and Postgres, so what it
 * spends per call is taken from what it measures; this costs a fraction of a
 * full client library per call. It does only what the load needs: no
 * compression, no retries, a deadline per call.
 */
export function rawGrpcService<S extends DescService>(session: http2.ClientHttp2Session, service: S, authorization: string, deadlineMs: number): Record<string, RawUnary> {
  const out: Record<string, RawUnary> = {};
  for (const method of service.methods) {
    if (method.methodKind !== "unary") continue;
    const headers = {
      ":method": "POST",
      ":path": `/${service.typeName}/${method.name}`,
      "content-type": "application/grpc+proto",
      te: "trailers",
      authorization,
      "grpc-timeout": `${deadlineMs}m`,
    };
    out[method.localName] = (request) =>
      new Promise((resolve, reject) => {
        const body = toBinary(method.input, create(method.input, request as never));
        const frame = Buffer.allocUnsafe(5 + body.length);
        frame[0] = 0;
        frame.writeUInt32BE(body.length, 1);
        frame.set(body, 5);
        const stream = session.request(headers, { endStream: false });
        const chunks: Buffer[] = [];
        let status: number | undefined;
        let message = "";
        const take = (h: http2.IncomingHttpHeaders): void => {
          const s = h["grpc-status"];
          if (s !== undefined) {
            status = Number(s);
            message = decodeURIComponent(String(h["grpc-message"] ?? ""));
          }
        };
        stream.on("response", take);
        stream.on("trailers", take);
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("error", (err) => reject(new ConnectError(err.message, Code.Unavailable)));
        stream.on("close", () => {
          if (status === undefined) return reject(new ConnectError(`stream closed (${stream.rstCode})`, Code.Unavailable));
          if (status !== 0) return reject(new ConnectError(message, status as Code));
          const all = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
          if (all.length < 5) return reject(new ConnectError("no response message", Code.Internal));
          resolve(fromBinary(method.output, all.subarray(5, 5 + all.readUInt32BE(1))));
        });
        stream.end(frame);
      });
  }
  return out;
}
