import { connect } from "node:net";

/** CancelRequest code (PostgreSQL protocol, "Canceling Requests in Progress"): 1234 << 16 | 5678. */
const cancelRequestCode = 80877102;

/** A cancel connection that cannot even connect within this is given up: the statement's hard stop takes over. */
const cancelConnectTimeoutMs = 1_000;

/** Where a backend runs and the key that lets another connection cancel its statement. */
export interface CancelTarget {
  host: string;
  port: number;
  processId: number;
  secretKey: number;
}

/** The fields of a connected pg Client a cancel request needs; pg keeps them public but untyped. */
interface ClientBackend {
  host: string;
  port: number;
  processID: number | null;
  secretKey: number | null;
}

/**
 * Cancels the statement `client`'s backend is running (sendCancel); false,
 * sending nothing, when the client has no backend key yet (not connected).
 */
export function cancelClientStatement(client: object): boolean {
  const c = client as ClientBackend;
  if (c.processID === null || c.secretKey === null) return false;
  sendCancel({ host: c.host, port: c.port, processId: c.processID, secretKey: c.secretKey });
  return true;
}

/**
 * Asks the server to cancel the statement a backend is running, the way libpq's
 * PQcancel does: a new connection carrying only a CancelRequest. The running
 * statement then fails with SQLSTATE 57014 and rolls back; its connection
 * stays usable. Fire and forget: the server sends no reply.
 */
export function sendCancel(target: CancelTarget): void {
  const socket = target.host.startsWith("/")
    ? connect(`${target.host}/.s.PGSQL.${target.port}`)
    : connect(target.port, target.host);
  socket.setTimeout(cancelConnectTimeoutMs, () => socket.destroy());
  socket.on("error", () => socket.destroy());
  socket.on("connect", () => {
    const message = Buffer.alloc(16);
    message.writeInt32BE(16, 0);
    message.writeInt32BE(cancelRequestCode, 4);
    message.writeInt32BE(target.processId, 8);
    message.writeInt32BE(target.secretKey, 12);
    socket.end(message);
  });
}
