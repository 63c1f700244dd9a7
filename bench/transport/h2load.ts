/** What one h2load run reports. */
export interface LoadResult {
  reqPerSec: number;
  succeeded: number;
  failed: number;
  errored: number;
}

/** Parses h2load's summary ("finished in 10.00s, 7712.30 req/s, …" and the "requests:" line). */
export function parseH2load(stdout: string): LoadResult {
  const rate = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(stdout);
  const counts = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(stdout);
  if (rate === null || counts === null) throw new Error(`unexpected h2load output:\n${stdout}`);
  return {
    reqPerSec: Number(rate[1]),
    succeeded: Number(counts[1]),
    failed: Number(counts[2]),
    errored: Number(counts[3]),
  };
}

/** One gRPC length-prefixed message (flag 0, big-endian length), as h2load sends it with -d. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}
