/**
 * The workload mix of a load run: which kind of login each one is (by
 * weight), and what share of logins send a wrong proof.
 */

/** The login kinds the load plays. */
export const LOGIN_KINDS = ["totp", "hotp", "webauthn", "backup-code", "app-password"] as const;
export type LoginKind = (typeof LOGIN_KINDS)[number];

/** Weights by kind (only kinds with weight > 0), normalised to sum 1. */
export type Mix = Partial<Record<LoginKind, number>>;

/** Thrown for a bad `--mix` or `--wrong`; the CLI prints it as a usage error. */
export class MixError extends Error {
  override readonly name = "MixError";
}

/**
 * Parses `totp=60,hotp=10,webauthn=10,backup-code=10,app-password=10` (any
 * positive weights; a bare kind means weight 1) into shares summing to 1.
 */
export function parseMix(text: string): Mix {
  const weights = new Map<LoginKind, number>();
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const [name = "", weightText] = part.split("=");
    if (!(LOGIN_KINDS as readonly string[]).includes(name)) {
      throw new MixError(`--mix: unknown kind "${name}" (kinds: ${LOGIN_KINDS.join(", ")})`);
    }
    const weight = weightText === undefined ? 1 : Number(weightText);
    if (!Number.isFinite(weight) || weight < 0) throw new MixError(`--mix: the weight of ${name} must be a number >= 0`);
    weights.set(name as LoginKind, weight);
  }
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  if (total <= 0) throw new MixError("--mix: give at least one kind a weight above 0");
  const mix: Mix = {};
  for (const [kind, w] of weights) if (w > 0) mix[kind] = w / total;
  return mix;
}

/** The mix as text, the form `--mix` takes, with percentages. */
export function mixText(mix: Mix): string {
  return LOGIN_KINDS.filter((k) => (mix[k] ?? 0) > 0)
    .map((k) => `${k}=${Math.round((mix[k] ?? 0) * 1000) / 10}`)
    .join(",");
}

/** Picks a kind with probability equal to its share, from a uniform `u` in [0, 1). */
export function pickKind(mix: Mix, u: number): LoginKind {
  let acc = 0;
  let last: LoginKind = "totp";
  for (const kind of LOGIN_KINDS) {
    const share = mix[kind] ?? 0;
    if (share <= 0) continue;
    acc += share;
    last = kind;
    if (u < acc) return kind;
  }
  return last;
}

/**
 * How many users each kind gets out of `users`: its share, but never fewer
 * than twice the logins of that kind expected in flight (a user has at most
 * one login in flight) nor fewer than 2.
 */
export function poolSizes(mix: Mix, users: number, concurrency: number): Map<LoginKind, number> {
  const out = new Map<LoginKind, number>();
  for (const kind of LOGIN_KINDS) {
    const share = mix[kind] ?? 0;
    if (share <= 0) continue;
    out.set(kind, Math.max(2, Math.ceil(users * share), Math.ceil(2 * concurrency * share)));
  }
  return out;
}
