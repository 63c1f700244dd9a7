/** What an assertion's signature counter means for the stored one. */
export type CounterDecision = "accept" | "clone_suspected";

/**
 * W3C WebAuthn §6.1.1: a counter that does not increase hints at a cloned
 * authenticator. Any increase is accepted (Nitrokey counters are global to
 * the device and jump by up to 256 per use); both zero means the
 * authenticator keeps no counter (U2F-era and some platform keys), which the
 * single-use challenge covers instead. docs/design.md "Signature counter".
 */
export function decideCounter(stored: number, received: number): CounterDecision {
  if ((stored !== 0 || received !== 0) && received <= stored) return "clone_suspected";
  return "accept";
}
