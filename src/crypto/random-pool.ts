import { randomBytes, randomFillSync } from "node:crypto";

/**
 * Random bytes from the system CSPRNG, drawn from a block filled 4 KiB at a
 * time, the way node's randomUUID keeps its own cache: one randomBytes call
 * costs about 4 µs here (OpenSSL 3 takes its locks on every call), which a
 * login paid for its WebAuthn challenge and enrolment for a secret and a
 * nonce. Each draw is copied out and its bytes in the block are zeroed, so
 * no byte is handed out twice or left behind; large requests go straight to
 * randomBytes.
 */
const BLOCK = 4096;
const LARGEST_POOLED = 256;

let block = Buffer.alloc(0);
let used = 0;

export function randomPooled(n: number): Buffer {
  if (n > LARGEST_POOLED) return randomBytes(n);
  if (used + n > block.length) {
    block = randomFillSync(Buffer.alloc(BLOCK));
    used = 0;
  }
  // Buffer.alloc, not allocUnsafe: a draw gets memory of its own, never a slice of node's shared slab.
  const out = Buffer.alloc(n);
  block.copy(out, 0, used, used + n);
  block.fill(0, used, used + n);
  used += n;
  return out;
}
