import { promisify } from "node:util";
import { brotliDecompress, gunzip, type BrotliOptions, type ZlibOptions } from "node:zlib";

const gunzipAsync = promisify<Uint8Array, ZlibOptions, Buffer>(gunzip);
const brotliAsync = promisify<Uint8Array, BrotliOptions, Buffer>(brotliDecompress);

/** The request compressions served (the names of gRPC's grpc-encoding and HTTP's Content-Encoding). */
export const supportedEncodings: readonly string[] = ["gzip", "br"];

export function isSupportedEncoding(name: string): boolean {
  return supportedEncodings.includes(name);
}

/**
 * Decompresses a caller's message, never to more than `maxBytes`. Any zlib
 * failure is the caller's data, not our fault: a truncated stream
 * (Z_BUF_ERROR, which connect-node answers with INTERNAL), garbage
 * (Z_DATA_ERROR), a brotli stream that does not decode. Both come back as
 * "corrupt", so nothing of zlib's wording reaches the caller.
 */
export async function decompress(encoding: string, data: Uint8Array, maxBytes: number): Promise<Uint8Array | "corrupt" | "too_large"> {
  try {
    // maxOutputLength one past the limit tells "exactly at the limit" from "over it".
    if (encoding === "gzip") return await gunzipAsync(data, { maxOutputLength: maxBytes + 1 });
    if (encoding === "br") return await brotliAsync(data, { maxOutputLength: maxBytes + 1 });
    return "corrupt";
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" ? "too_large" : "corrupt";
  }
}
