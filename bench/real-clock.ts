/**
 * The environment for a native tool that must keep the real clock (the
 * transport benchmark's h2load; nghttp and Chromium in the tests).
 *
 * The flake hunt (`npm run test:flakes`) moves every process's wall clock with
 * libfaketime (LD_PRELOAD). Tools on libev (nghttp, h2load) and Chromium do
 * not survive it: libfaketime recurses into clock_gettime and they never
 * finish. They measure or render, so the real clock is what they need.
 */
export function realClockEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of Object.keys(out)) if (name === "LD_PRELOAD" || name.startsWith("FAKETIME")) delete out[name];
  return out;
}
