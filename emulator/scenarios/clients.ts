import type { DescService } from "@bufbuild/protobuf";
import { ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { AdminService } from "../../src/gen/twofold/v1/admin_pb.js";
import { AppPasswordService } from "../../src/gen/twofold/v1/app_passwords_pb.js";
import { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import { BackupCodeService } from "../../src/gen/twofold/v1/backup_codes_pb.js";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import type { ScenarioClients } from "./types.js";

/** How the runner reaches the service. */
export interface ConnectionOptions {
  /** `host:port`, or a full `http://host:port` URL. */
  target: string;
  apiKey: string;
  /** Default "2" (HTTP/2 cleartext). */
  httpVersion?: "1.1" | "2";
}

/** The base URL of a target given as `host:port` or as a URL. */
export function baseUrlOf(target: string): string {
  return /^https?:\/\//.test(target) ? target.replace(/\/+$/, "") : `http://${target}`;
}

/**
 * One connection for a whole run: every scenario's clients share the HTTP/2
 * session (or the HTTP/1.1 agent), and `close()` ends it so the CLI exits
 * as soon as the run is over.
 */
export class ServiceConnection {
  readonly baseUrl: string;
  readonly #options: ConnectionOptions;
  readonly #sessions: Http2SessionManager | undefined;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.baseUrl = baseUrlOf(options.target);
    this.#sessions = (options.httpVersion ?? "2") === "2" ? new Http2SessionManager(this.baseUrl) : undefined;
  }

  /** Clients whose calls stop (and fail) once `signal` is aborted. */
  clients(signal: AbortSignal): ScenarioClients {
    const transport = this.#transport(signal);
    const client = <S extends DescService>(service: S): Client<S> => createClient(service, transport);
    return {
      enrolment: client(EnrolmentService),
      auth: client(AuthenticationService),
      backupCodes: client(BackupCodeService),
      appPasswords: client(AppPasswordService),
      admin: client(AdminService),
    };
  }

  close(): void {
    this.#sessions?.abort();
  }

  #transport(signal: AbortSignal): Transport {
    const apiKey = this.#options.apiKey;
    const interceptors: Interceptor[] = [
      // Every call carries the API key; a scenario past its time makes no more calls.
      (next) => (req) => {
        signal.throwIfAborted();
        req.header.set("authorization", `Bearer ${apiKey}`);
        return next({ ...req, signal: AbortSignal.any([req.signal, signal]) });
      },
      // Name the RPC in errors, so "UNIMPLEMENTED" in a report says which call.
      (next) => async (req) => {
        try {
          return await next(req);
        } catch (err) {
          if (!(err instanceof ConnectError)) throw err;
          throw new ConnectError(`${req.service.name}.${req.method.name}: ${err.rawMessage}`, err.code, err.metadata, undefined, err);
        }
      },
    ];
    if (this.#sessions !== undefined) {
      return createConnectTransport({ baseUrl: this.baseUrl, httpVersion: "2", sessionManager: this.#sessions, interceptors });
    }
    return createConnectTransport({ baseUrl: this.baseUrl, httpVersion: "1.1", interceptors });
  }
}
