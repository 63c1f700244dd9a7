import type { Server as Http1Server } from "node:http";
import type { Http2Server } from "node:http2";
import { createServer, type Server, type Socket } from "node:net";

/** The start of the HTTP/2 client connection preface (RFC 9113 §3.4), enough to tell it from any HTTP/1.1 method. */
const h2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const decideAfterBytes = 4;

/**
 * One TCP listener for HTTP/2 cleartext (prior knowledge, as gRPC clients
 * speak it) and HTTP/1.1 (Connect and gRPC-Web from fetch): node's plaintext
 * http2 server has no HTTP/1.1 fallback (`allowHTTP1` needs TLS ALPN), so the
 * first bytes of each connection pick the server that takes the socket.
 */
export function protocolSplitListener(h1: Http1Server, h2: Http2Server, firstBytesTimeoutMs: number, keepAliveIntervalMs = 0): Server {
  return createServer((socket: Socket) => {
    // TCP keep-alive probes notice a peer gone without a FIN, on HTTP/1.1 as well.
    if (keepAliveIntervalMs > 0) socket.setKeepAlive(true, keepAliveIntervalMs);
    // A connection that never says which protocol it speaks is closed, not kept.
    socket.setTimeout(firstBytesTimeoutMs, () => socket.destroy());
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const n = Math.min(head.length, decideAfterBytes);
      const looksH2 = head.subarray(0, n).equals(h2Preface.subarray(0, n));
      if (looksH2 && head.length < decideAfterBytes) return; // too short to tell yet
      socket.off("data", onData);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(head);
      if (looksH2) {
        h2.emit("connection", socket);
      } else {
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.on("error", () => socket.destroy());
  });
}
