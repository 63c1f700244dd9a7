import type { ListenAddress } from "./config.js";

/**
 * `host:port` or `[v6]:port`. The brackets are required around an IPv6 host, so
 * the last colon always separates the port.
 */
export function parseListenAddress(value: string): ListenAddress | string {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(value);
  if (m === null) return "must be host:port or [ipv6]:port";
  const port = Number(m[3]);
  if (port > 65535) return "port must be 0..65535";
  return { host: m[1] ?? m[2] ?? "", port };
}
