import { createTwofoldClient, type TwofoldClient } from "../../src/client/index.js";
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
 * The run's way to the service, through twofold's own client library
 * (src/client), so scenarios exercise the path platform services use: the
 * Connect protocol, the bearer key, TwofoldError for every refusal. Each
 * scenario gets a client of its own whose calls stop when the scenario's
 * signal aborts, and whose connection closes with it; `close()` ends every
 * connection still open, so the CLI exits as soon as the run is over.
 */
export class ServiceConnection {
  readonly baseUrl: string;
  readonly #options: ConnectionOptions;
  readonly #open = new Set<TwofoldClient>();

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.baseUrl = baseUrlOf(options.target);
  }

  /** Clients whose calls stop (and fail) once `signal` is aborted. */
  clients(signal: AbortSignal): ScenarioClients {
    const client = createTwofoldClient({
      baseUrl: this.baseUrl,
      apiKey: this.#options.apiKey,
      protocol: "connect",
      httpVersion: this.#options.httpVersion ?? "2",
      signal,
    });
    this.#open.add(client);
    signal.addEventListener(
      "abort",
      () => {
        client.close();
        this.#open.delete(client);
      },
      { once: true },
    );
    return {
      enrolment: client.enrolment,
      auth: client.authentication,
      backupCodes: client.backupCodes,
      appPasswords: client.appPasswords,
      admin: client.admin,
    };
  }

  close(): void {
    for (const client of this.#open) client.close();
    this.#open.clear();
  }
}
