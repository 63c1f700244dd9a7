import { fromBinary, fromJsonString, type DescMessage, type DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createConnectRouter,
  createContextKey,
  createContextValues,
  type ConnectRouterOptions,
  type HandlerContext,
  type ServiceImpl,
} from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Logger } from "pino";
import type { ServiceRegistration } from "../rpc/registration.js";
import { invalidUtf8Field, undecodable } from "./undecodable.js";

export interface ConnectHandlerOptions extends ConnectRouterOptions {
  registrations: readonly ServiceRegistration[];
  logger: Logger;
  /** Largest request message; bodies up to this (plus framing) are buffered to be checked. */
  maxMessageBytes: number;
}

type NodeRequest = IncomingMessage | Http2ServerRequest;
type NodeResponse = ServerResponse | Http2ServerResponse;

interface Route {
  handler: UniversalHandler;
  /** Same method, same interceptors, but its implementation refuses an undecodable request. */
  refuse: UniversalHandler | undefined;
}

/**
 * connect-node's adapter (connectNodeAdapter) with one change: a unary request
 * body is decoded once before connect-node sees it. connect-node answers an
 * undecodable protobuf body with INTERNAL and the parser's own words
 * ("parse binary: …"), which breaks two house rules (no INTERNAL for caller
 * input, no library text to callers). An undecodable request is handed to a
 * twin handler for the same method whose implementation throws
 * INVALID_ARGUMENT, so the error is still encoded by connect for whichever
 * protocol (Connect or gRPC-Web) the caller speaks, after the same
 * authentication and logging.
 */
export function connectHandler(options: ConnectHandlerOptions): (req: NodeRequest, res: NodeResponse) => void {
  const routerOptions: ConnectRouterOptions = { ...options, acceptCompression: options.acceptCompression ?? [compressionGzip, compressionBrotli] };
  const router = createConnectRouter(routerOptions);
  const refusing = createConnectRouter(routerOptions);
  for (const r of options.registrations) {
    router.service(r.service, r.impl);
    refusing.service(r.service, refusingImpl(r.service, options.logger) as unknown as Partial<ServiceImpl<DescService>>);
  }
  const refusers = new Map<string, UniversalHandler>();
  for (const h of refusing.handlers) refusers.set(h.requestPath, h);
  const routes = new Map<string, Route>();
  for (const h of router.handlers) {
    routes.set(h.requestPath, { handler: h, refuse: h.method.methodKind === "unary" ? refusers.get(h.requestPath) : undefined });
  }
  const limit = options.maxMessageBytes + 5;

  return (req, res) => {
    const route = routes.get(req.url?.split("?", 2)[0] ?? "");
    if (route === undefined) {
      res.writeHead(404);
      res.end();
      return;
    }
    const uReq = universalRequestFromNodeRequest(req, res as never, undefined, undefined);
    const answer = route.refuse === undefined ? route.handler(uReq) : checked(uReq, route, route.refuse, limit);
    answer
      .then((uRes) => universalResponseToNodeResponse(uRes, res as never))
      .catch((reason: unknown) => {
        if (ConnectError.from(reason).code === Code.Aborted) return;
        options.logger.error({ err: reason, method: route.handler.method.name }, "connect handler failed");
      });
  };
}

/** The body codec a request declares, when it is one we can check before connect-node. */
interface Codec {
  json: boolean;
  /** gRPC-Web and gRPC frame each message with a 5-byte prefix; Connect unary does not. */
  enveloped: boolean;
}

function codecOf(req: UniversalServerRequest): Codec | undefined {
  if (req.method !== "POST") return undefined;
  const type = (req.header.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  const compressed = (name: string): boolean => {
    const v = req.header.get(name);
    return v !== null && v !== "identity";
  };
  switch (type) {
    case "application/proto":
      return compressed("content-encoding") ? undefined : { json: false, enveloped: false };
    case "application/json":
      return compressed("content-encoding") ? undefined : { json: true, enveloped: false };
    case "application/grpc-web":
    case "application/grpc-web+proto":
    case "application/grpc":
    case "application/grpc+proto":
      return compressed("grpc-encoding") ? undefined : { json: false, enveloped: true };
    case "application/grpc-web+json":
    case "application/grpc+json":
      return compressed("grpc-encoding") ? undefined : { json: true, enveloped: true };
    default:
      return undefined;
  }
}

async function checked(req: UniversalServerRequest, route: Route, refuse: UniversalHandler, limit: number): Promise<UniversalServerResponse> {
  const codec = codecOf(req);
  const body = req.body;
  if (codec === undefined || !isAsyncIterable(body)) return route.handler(req);
  // Buffer the body, but never more than one message may take: beyond that
  // connect-node gets the stream back and answers RESOURCE_EXHAUSTED itself.
  const it = body[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next = await it.next();
    if (next.done === true) break;
    chunks.push(next.value);
    size += next.value.byteLength;
    if (size > limit) return route.handler({ ...req, body: replay(chunks, it) });
  }
  const bytes = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks);
  const verdict = decodes(bytes, codec, route.handler.method.input);
  if (verdict.result === "undecodable") {
    const empty = emptyBody(codec);
    const header = new Headers(req.header);
    if (header.has("content-length")) header.set("content-length", String(empty.byteLength));
    const contextValues = req.contextValues ?? createContextValues();
    contextValues.set(undecodableFieldKey, verdict.field);
    return refuse({ ...req, header, contextValues, body: replay([empty], undefined) });
  }
  return route.handler({ ...req, body: replay([bytes], undefined) });
}

type Verdict = { result: "ok" | "unchecked" } | { result: "undecodable"; field: string | undefined };

/** "ok", "undecodable" (with the culprit field when one is to blame), or "unchecked" when the framing is for connect-node to judge. */
function decodes(bytes: Uint8Array, codec: Codec, desc: DescMessage): Verdict {
  let message = bytes;
  if (codec.enveloped) {
    if (bytes.byteLength < 5 || bytes[0] !== 0) return { result: "unchecked" };
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint32(1) !== bytes.byteLength - 5) return { result: "unchecked" };
    message = bytes.subarray(5);
  } else if (bytes.byteLength === 0) {
    return { result: "unchecked" };
  }
  try {
    if (codec.json) fromJsonString(desc, new TextDecoder("utf-8", { fatal: true }).decode(message), { ignoreUnknownFields: true });
    else fromBinary(desc, message);
    return { result: "ok" };
  } catch {
    return { result: "undecodable", field: codec.json ? undefined : invalidUtf8Field(desc, message) };
  }
}

/** Carries the culprit field from the check to the refusing twin handler. */
const undecodableFieldKey = createContextKey<string | undefined>(undefined, { description: "twofold undecodable field" });

function emptyBody(codec: Codec): Uint8Array {
  const message = codec.json ? Buffer.from("{}") : new Uint8Array(0);
  if (!codec.enveloped) return message;
  const framed = Buffer.alloc(5 + message.byteLength);
  framed.writeUInt32BE(message.byteLength, 1);
  framed.set(message, 5);
  return framed;
}

async function* replay(chunks: Uint8Array[], rest: AsyncIterator<Uint8Array> | undefined): AsyncIterable<Uint8Array> {
  yield* chunks;
  if (rest === undefined) return;
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    yield next.value;
  }
}

function isAsyncIterable(v: unknown): v is AsyncIterable<Uint8Array> {
  return typeof v === "object" && v !== null && Symbol.asyncIterator in v;
}

/** Every unary method refuses: used only for requests already found undecodable. */
function refusingImpl(service: DescService, logger: Logger): Record<string, (req: unknown, ctx: HandlerContext) => never> {
  const impl: Record<string, (req: unknown, ctx: HandlerContext) => never> = {};
  for (const m of service.methods) {
    if (m.methodKind !== "unary") continue;
    impl[m.localName] = (_req, ctx) => {
      throw undecodable(logger, ctx.values.get(undecodableFieldKey));
    };
  }
  return impl;
}
