import { Code, ConnectError } from "@connectrpc/connect";

/**
 * The one answer to a request body that does not decode as the method's input
 * message, on every protocol: INVALID_ARGUMENT naming the problem in our
 * words, never the parser's (which may quote input or name internals).
 */
export function undecodable(): ConnectError {
  return new ConnectError(
    "request message could not be decoded: malformed encoding, a field of the wrong type, or invalid UTF-8 in a string field",
    Code.InvalidArgument,
  );
}
