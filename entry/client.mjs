// `twofold/client` for plain Node: src/client/index.ts through tsx in a
// checkout, dist/ in a production install (see load.mjs). The names are
// listed by hand because ESM exports are static; a test checks they match
// the module's own.
import { loadLibrary } from "./load.mjs";

const client = await loadLibrary("src/client/index.ts", "dist/src/client/index.js");

export const { Code, HealthCheckResponse_ServingStatus, TwofoldError, createTwofoldClient, mayRetry, procedureKinds, v1 } = client;
