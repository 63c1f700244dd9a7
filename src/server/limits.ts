/**
 * Transport limits that are not operator configuration: each bounds a
 * resource a client could otherwise hold without limit.
 */
export const limits = {
  /** Per HTTP/2 session (node's maxSessionMemory, MB): header tables, buffered frames. */
  maxSessionMemoryMb: 16,
  /** SETTINGS_MAX_HEADER_LIST_SIZE: request headers beyond this are refused by nghttp2. */
  maxHeaderListBytes: 32 * 1024,
  /** A connection with no traffic for this long is closed (HTTP/2 sessions and HTTP/1.1 sockets). */
  idleTimeoutMs: 5 * 60_000,
  /** HTTP/1.1: a client must finish sending headers within this (slowloris). */
  http1HeadersTimeoutMs: 10_000,
  /** HTTP/1.1: a whole request may take the call deadline plus this. */
  http1RequestSlackMs: 5_000,
  /** HTTP/1.1: idle keep-alive connections are closed after this. */
  http1KeepAliveTimeoutMs: 65_000,
  /** HTTP/1.1: how often node checks the two timeouts above. */
  http1CheckIntervalMs: 1_000,
  /** An HTTP/2 keep-alive PING unanswered for this long drops the session (gRPC's keepalive_timeout default). */
  keepAlivePingTimeoutMs: 20_000,
  /** close() waits this long for in-flight calls before cutting connections. */
  shutdownGraceMs: 10_000,
  /**
   * connect-node refuses client timeouts above this; ours is high because the
   * interceptor caps unary deadlines at config.requestTimeoutMs instead, like
   * the gRPC fast path, and streams (health Watch) may run long.
   */
  maxClientTimeoutMs: 24 * 3_600_000,
} as const;
