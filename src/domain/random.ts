import { randomUUID } from "node:crypto";
import { randomPooled } from "../crypto/random-pool.js";

/** Randomness as a parameter, so tests can pin it. */
export interface Random {
  bytes(n: number): Buffer;
  uuid(): string;
}

export const systemRandom: Random = {
  bytes: (n) => randomPooled(n),
  uuid: () => randomUUID(),
};
