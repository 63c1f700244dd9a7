import type { DescMethod, DescMethodUnary, DescService } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { ServiceRegistration } from "../rpc/registration.js";
import type { Access } from "./auth.js";

/** Untyped unary implementation as the fast path calls it; the same function connect-node calls. */
export type AnyUnaryImpl = (request: unknown, context: HandlerContext) => unknown;

/** One unary method the gRPC fast path may serve. */
export interface UnaryRoute {
  /** `/<package.Service>/<Method>`, the HTTP/2 :path. */
  path: string;
  /** `package.Service/Method`, for logs. */
  name: string;
  service: DescService;
  method: DescMethodUnary;
  /** Undefined when the registration leaves the method out: answers UNIMPLEMENTED. */
  impl: AnyUnaryImpl | undefined;
  access: Access;
}

/** Who may call a service: health is open, AdminService needs role admin, the rest any key. */
export function accessOf(service: DescService, publicServices: ReadonlySet<string>): Access {
  if (publicServices.has(service.typeName)) return "public";
  if (service.typeName === "twofold.v1.AdminService") return "admin";
  return "service";
}

/** Index of every unary method by :path, built once at start so each request costs one Map lookup. */
export function unaryRoutes(
  registrations: readonly ServiceRegistration[],
  publicServices: ReadonlySet<string>,
): Map<string, UnaryRoute> {
  const routes = new Map<string, UnaryRoute>();
  for (const { service, impl } of registrations) {
    const access = accessOf(service, publicServices);
    for (const method of service.methods) {
      if (!isUnary(method)) continue;
      const fn: unknown = (impl as Record<string, unknown>)[method.localName];
      const path = `/${service.typeName}/${method.name}`;
      routes.set(path, {
        path,
        name: `${service.typeName}/${method.name}`,
        service,
        method,
        impl: typeof fn === "function" ? (fn.bind(impl) as AnyUnaryImpl) : undefined,
        access,
      });
    }
  }
  return routes;
}

function isUnary(method: DescMethod): method is DescMethodUnary {
  return method.methodKind === "unary";
}
