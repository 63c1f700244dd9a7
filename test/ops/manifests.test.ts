import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Model } from "@kubernetes-models/base";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Job } from "kubernetes-models/batch/v1/Job";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

/**
 * deploy/ checked against the Kubernetes 1.27 API as kubernetes-models ships
 * it: its validators (compiled from the OpenAPI schemas: types, required
 * fields, enums) and its TypeScript interfaces, whose excess-property check
 * refuses a field the API does not have (a misspelt `readinesProbe` would
 * otherwise be dropped silently by the API server).
 */
type Manifest = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string } };

const DEPLOY = "deploy";
const kinds: Record<string, { model: new (data: never) => Model<unknown>; module: string; type: string }> = {
  "apps/v1 Deployment": { model: Deployment as never, module: "kubernetes-models/apps/v1/Deployment", type: "IDeployment" },
  "batch/v1 Job": { model: Job as never, module: "kubernetes-models/batch/v1/Job", type: "IJob" },
  "policy/v1 PodDisruptionBudget": { model: PodDisruptionBudget as never, module: "kubernetes-models/policy/v1/PodDisruptionBudget", type: "IPodDisruptionBudget" },
  "v1 Secret": { model: Secret as never, module: "kubernetes-models/v1/Secret", type: "ISecret" },
  "v1 Service": { model: Service as never, module: "kubernetes-models/v1/Service", type: "IService" },
  "v1 ServiceAccount": { model: ServiceAccount as never, module: "kubernetes-models/v1/ServiceAccount", type: "IServiceAccount" },
};

function load(dir: string): { file: string; doc: Manifest }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((d) => {
        if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]?.message}`);
        return { file, doc: d.toJSON() as Manifest };
      }),
    );
}

/** Problems with `docs` per the schemas and per the typed interfaces; empty when they are valid. */
function problems(docs: { file: string; doc: Manifest }[]): string[] {
  const out: string[] = [];
  const source: string[] = [];
  docs.forEach(({ file, doc }, i) => {
    const kind = kinds[`${doc.apiVersion} ${doc.kind}`];
    if (kind === undefined) {
      out.push(`${file}: no schema for ${doc.apiVersion} ${doc.kind}`);
      return;
    }
    try {
      new kind.model(doc as never).validate();
    } catch (err) {
      out.push(`${file}: ${(err as Error).message}`);
    }
    source.push(`import type { ${kind.type} as T${i} } from "${kind.module}";`, `export const m${i}: T${i} = ${JSON.stringify(doc)};`);
  });
  const virtual = resolve("test/ops/__manifests__.ts");
  const options: ts.CompilerOptions = { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, skipLibCheck: true, types: [] };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (resolve(name) === virtual ? ts.createSourceFile(name, source.join("\n"), lang) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => resolve(name) === virtual || fileExists(name);
  const program = ts.createProgram([virtual], options, host);
  for (const d of ts.getPreEmitDiagnostics(program)) out.push(`typed check: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
  return out;
}

const docs = load(DEPLOY);
const find = (kind: string, name?: string): Manifest => {
  const m = docs.find((d) => d.doc.kind === kind && (name === undefined || d.doc.metadata.name === name))?.doc;
  if (m === undefined) throw new Error(`no ${kind} ${name ?? ""} in deploy/`);
  return m;
};
const deployment = new Deployment(find("Deployment") as never);
const pod = deployment.spec?.template;
const container = pod?.spec?.containers[0];
const labels = pod?.metadata?.labels ?? {};
const matches = (selector: Record<string, string> | undefined): boolean =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const envValue = (name: string): string | undefined => container?.env?.find((e) => e.name === name)?.value;

describe("deploy/ Kubernetes manifests", () => {
  it("are valid Kubernetes 1.27 objects, with no field the API lacks", () => {
    expect(docs.map((d) => d.doc.kind).sort()).toEqual(["Deployment", "Job", "PodDisruptionBudget", "Secret", "Service", "ServiceAccount"]);
    expect(problems(docs)).toEqual([]);
  }, 60_000);

  it("would catch a misspelt field and a wrong type", () => {
    const broken = structuredClone(find("Deployment")) as Manifest & { spec: { replicas: unknown; template: { spec: { containers: Record<string, unknown>[] } } } };
    broken.spec.replicas = "three";
    const c = broken.spec.template.spec.containers[0] as Record<string, unknown>;
    c["readinesProbe"] = c["readinessProbe"];
    delete c["readinessProbe"];
    const found = problems([{ file: "broken.yaml", doc: broken }]);
    expect(found.some((p) => p.includes("replicas must be integer"))).toBe(true);
    expect(found.some((p) => p.includes("readinesProbe"))).toBe(true);
  }, 60_000);

  it("run at least two replicas, spread over nodes, one disrupted at a time", () => {
    expect(deployment.spec?.replicas).toBeGreaterThanOrEqual(2);
    expect(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
    expect(matches(deployment.spec?.selector.matchLabels)).toBe(true);
    const pdb = new PodDisruptionBudget(find("PodDisruptionBudget") as never);
    expect(matches(pdb.spec?.selector?.matchLabels)).toBe(true);
    expect(pdb.spec?.maxUnavailable).toBe(1);
    expect(pod?.spec?.topologySpreadConstraints?.[0]?.topologyKey).toBe("kubernetes.io/hostname");
  });

  it("probe readiness, liveness and start-up through grpc.health.v1 on the port the service listens on", () => {
    const grpcPort = container?.ports?.find((p) => p.name === "grpc")?.containerPort;
    expect(envValue("TWOFOLD_ADDR")).toBe(`0.0.0.0:${grpcPort}`);
    for (const probe of [container?.readinessProbe, container?.livenessProbe, container?.startupProbe]) {
      expect(probe?.grpc?.port).toBe(grpcPort);
    }
    // Liveness must outlast a short database outage that readiness already reports.
    const live = container?.livenessProbe;
    expect((live?.periodSeconds ?? 10) * (live?.failureThreshold ?? 3)).toBeGreaterThanOrEqual(60);
  });

  it("read their configuration from the Secret, and expose metrics on a port of their own", () => {
    const secret = find("Secret");
    expect(container?.envFrom?.map((e) => e.secretRef?.name)).toEqual([secret.metadata.name]);
    expect(Object.keys((secret as { stringData?: object }).stringData ?? {})).toEqual(expect.arrayContaining(["DATABASE_URL", "TWOFOLD_KEYS", "TWOFOLD_PEPPER"]));
    // Secrets never sit in the Deployment itself.
    expect((container?.env ?? []).map((e) => e.name).filter((n) => /DATABASE_URL|KEYS|PEPPER/.test(n))).toEqual([]);
    const metricsPort = container?.ports?.find((p) => p.name === "metrics")?.containerPort;
    expect(envValue("TWOFOLD_METRICS_ADDR")).toBe(`0.0.0.0:${metricsPort}`);
    expect(pod?.metadata?.annotations?.["prometheus.io/port"]).toBe(String(metricsPort));
  });

  it("run as the image's non-root user with nothing writable but /tmp", () => {
    expect(pod?.spec?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container?.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(container?.command).toEqual(["node", "dist/src/cli/main.js", "serve"]);
  });

  it("route the Service to the pods' named ports", () => {
    const service = new Service(find("Service") as never);
    expect(matches(service.spec?.selector)).toBe(true);
    const names = new Set((container?.ports ?? []).map((p) => p.name));
    expect((service.spec?.ports ?? []).map((p) => p.targetPort).every((t) => typeof t === "string" && names.has(t))).toBe(true);
  });

  it("migrate with a Job of the same image, configuration and user", () => {
    const job = new Job(find("Job") as never);
    const migrate = job.spec?.template.spec?.containers[0];
    expect(migrate?.image).toBe(container?.image);
    expect(migrate?.command).toEqual(["node", "dist/src/cli/main.js", "migrate"]);
    expect(migrate?.envFrom).toEqual(container?.envFrom);
    expect(job.spec?.template.spec?.restartPolicy).toBe("Never");
    expect(job.spec?.template.spec?.securityContext).toEqual(pod?.spec?.securityContext);
  });

  it("are listed in kustomization.yaml, the example Secret and the Job aside", () => {
    const k = parseAllDocuments(readFileSync(join(DEPLOY, "kustomization.yaml"), "utf8"))[0]?.toJSON() as { resources: string[] };
    const files = [...new Set(docs.map((d) => d.file))].filter((f) => f !== "secret.example.yaml" && f !== "migrate-job.yaml");
    expect([...k.resources].sort()).toEqual(files.sort());
  });
});
