import type { IncomingMessage, Server as Http1Server, ServerResponse } from "node:http";
import type { Http2Server, Http2Session } from "node:http2";
import type { Server, Socket } from "node:net";

/** The connections of one listener, for a graceful close. */
export interface ConnectionTracker {
  /**
   * Stops accepting, sends HTTP/2 GOAWAY, ends idle HTTP/1.1 sockets and lets
   * calls in flight finish. Resolves true when everything closed within
   * `graceMs`, false when the grace period ran out first.
   */
  closeGracefully(graceMs: number): Promise<boolean>;
  /** Cuts every remaining connection. */
  destroyAll(): void;
  /** Settles once the listener and all its connections are closed. */
  closed: Promise<void>;
}

/** Tracks HTTP/2 sessions, HTTP/1.1 sockets and their in-flight responses. */
export function trackConnections(front: Server, h1: Http1Server, h2: Http2Server, draining: AbortSignal): ConnectionTracker {
  const sockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();
  const http1Sockets = new Set<Socket>();
  // HTTP/1.1 responses in flight per socket, so idle keep-alive sockets can end at once.
  const busy = new Map<Socket, number>();

  front.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  h2.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    if (draining.aborted) session.close();
  });
  h1.on("connection", (socket: Socket) => {
    http1Sockets.add(socket);
    socket.on("close", () => http1Sockets.delete(socket));
  });
  h1.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as Socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    res.once("close", () => {
      const n = (busy.get(socket) ?? 1) - 1;
      if (n > 0) busy.set(socket, n);
      else busy.delete(socket);
      if (n <= 0 && draining.aborted) socket.destroySoon();
    });
  });

  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));

  return {
    closed,
    closeGracefully(graceMs) {
      return new Promise<boolean>((resolve) => {
        const grace = setTimeout(() => resolve(false), graceMs);
        front.close(() => {
          clearTimeout(grace);
          h1.close();
          resolveClosed();
          resolve(true);
        });
        // HTTP/2: GOAWAY, then the session closes once its open streams finish.
        for (const session of sessions) session.close();
        for (const socket of http1Sockets) if (!busy.has(socket)) socket.destroySoon();
      });
    },
    destroyAll() {
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
    },
  };
}
