import { randomBytes, randomUUID } from "node:crypto";

/** Randomness as a parameter, so tests can pin it. */
export interface Random {
  bytes(n: number): Buffer;
  uuid(): string;
}

export const systemRandom: Random = {
  bytes: (n) => randomBytes(n),
  uuid: () => randomUUID(),
};
