import { toBinary, type DescFile, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/**
 * The files behind the served services, indexed the ways server reflection
 * asks for them (by file name and by fully-qualified symbol), with each file
 * serialized once at start.
 */
export interface DescriptorIndex {
  /** Fully-qualified names of the served services, sorted. */
  services: string[];
  /** The serialized FileDescriptorProto of the named file and of every file it imports, the file first. */
  fileByName(name: string): Uint8Array[] | undefined;
  /** The same, for the file that declares a message, enum, service, method, field or extension. */
  fileBySymbol(symbol: string): Uint8Array[] | undefined;
}

/**
 * Builds the index from the services the server answers for, plus files no
 * service imports but clients want (the google.rpc error details, so grpcurl
 * and buf curl can print them).
 */
export function descriptorIndex(services: readonly DescService[], extraFiles: readonly DescFile[] = []): DescriptorIndex {
  const byName = new Map<string, DescFile>();
  const bySymbol = new Map<string, DescFile>();
  const bytes = new Map<DescFile, Uint8Array>();

  const addFile = (file: DescFile): void => {
    if (bytes.has(file)) return;
    bytes.set(file, toBinary(FileDescriptorProtoSchema, file.proto));
    byName.set(file.proto.name, file);
    for (const dep of file.dependencies) addFile(dep);
    for (const e of file.enums) bySymbol.set(e.typeName, file);
    for (const x of file.extensions) bySymbol.set(x.typeName, file);
    for (const m of file.messages) addMessage(file, m);
    for (const s of file.services) {
      bySymbol.set(s.typeName, file);
      for (const method of s.methods) bySymbol.set(`${s.typeName}.${method.name}`, file);
    }
  };
  const addMessage = (file: DescFile, m: DescMessage): void => {
    bySymbol.set(m.typeName, file);
    for (const f of m.fields) bySymbol.set(`${m.typeName}.${f.name}`, file);
    for (const e of m.nestedEnums) bySymbol.set(e.typeName, file);
    for (const x of m.nestedExtensions) bySymbol.set(x.typeName, file);
    for (const n of m.nestedMessages) addMessage(file, n);
  };
  for (const s of services) addFile(s.file);
  for (const f of extraFiles) addFile(f);

  const withDependencies = (file: DescFile): Uint8Array[] => {
    const seen = new Set<DescFile>();
    const out: Uint8Array[] = [];
    const visit = (f: DescFile): void => {
      if (seen.has(f)) return;
      seen.add(f);
      out.push(bytes.get(f) as Uint8Array);
      for (const dep of f.dependencies) visit(dep);
    };
    visit(file);
    return out;
  };

  return {
    services: [...new Set(services.map((s) => s.typeName))].sort(),
    fileByName(name) {
      const file = byName.get(name);
      return file === undefined ? undefined : withDependencies(file);
    },
    fileBySymbol(symbol) {
      const file = bySymbol.get(symbol.startsWith(".") ? symbol.slice(1) : symbol);
      return file === undefined ? undefined : withDependencies(file);
    },
  };
}
