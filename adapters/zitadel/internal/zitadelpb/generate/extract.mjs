// extract.mjs writes a FileDescriptorSet holding zitadel.user.v2.UserService,
// zitadel.v1.ErrorDetail and the files their types need, taken from the
// descriptors @zitadel/proto embeds in its generated JavaScript.
//
// Options that are extensions (google.api.http, openapiv2, validate rules,
// ZITADEL's own) are dropped together with the files that declare them: they
// describe ZITADEL's gateway and docs, not the wire, and keeping them would
// pull three more Go modules into the build. Each file's go_package is
// rewritten to a package below the module given as the first argument.
//
// Usage: node extract.mjs <go import path prefix> <output file>
import { writeFileSync } from "node:fs";
import { clone, create, toBinary } from "@bufbuild/protobuf";
import {
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { file_zitadel_user_v2_user_service } from "@zitadel/proto/zitadel/user/v2/user_service_pb.js";
import { file_zitadel_message } from "@zitadel/proto/zitadel/message_pb.js";

const [prefix, out] = process.argv.slice(2);
if (!prefix || !out) {
  console.error("usage: node extract.mjs <go import path prefix> <output file>");
  process.exit(2);
}

// goPackages maps a file name prefix to the Go package its files go to.
const goPackages = [
  ["zitadel/user/v2/", "userpb"],
  ["zitadel/object/v2/", "objectpb"],
  ["zitadel/filter/v2/", "filterpb"],
  ["zitadel/metadata/v2/", "metadatapb"],
  ["zitadel/message.proto", "messagepb"],
];

// Every file reachable from the roots, dependencies first.
const files = new Map();
function collect(f) {
  if (files.has(f.proto.name)) return;
  for (const d of f.dependencies) collect(d);
  files.set(f.proto.name, f);
}
collect(file_zitadel_message);
collect(file_zitadel_user_v2_user_service);

// Which file declares each fully qualified type name.
const declaredIn = new Map();
function declare(file, scope, messages, enums) {
  for (const e of enums) declaredIn.set(`${scope}.${e.name}`, file);
  for (const m of messages) {
    const name = `${scope}.${m.name}`;
    declaredIn.set(name, file);
    declare(file, name, m.nestedType, m.enumType);
  }
}
for (const f of files.values()) {
  const p = f.proto;
  declare(p.name, p.package ? `.${p.package}` : "", p.messageType, p.enumType);
}

// stripOptions removes extension values from an options message.
function stripOptions(o) {
  if (o) delete o.$unknown;
}
function stripMessage(m, uses) {
  stripOptions(m.options);
  for (const f of m.field) {
    stripOptions(f.options);
    if (f.typeName) uses.add(declaredIn.get(f.typeName));
  }
  for (const o of m.oneofDecl) stripOptions(o.options);
  for (const e of m.enumType) stripEnum(e);
  for (const n of m.nestedType) stripMessage(n, uses);
}
function stripEnum(e) {
  stripOptions(e.options);
  for (const v of e.value) stripOptions(v.options);
}

const kept = new Map();
function keep(name) {
  if (kept.has(name)) return;
  const p = clone(FileDescriptorProtoSchema, files.get(name).proto);
  const uses = new Set();
  stripOptions(p.options);
  for (const m of p.messageType) stripMessage(m, uses);
  for (const e of p.enumType) stripEnum(e);
  for (const s of p.service) {
    stripOptions(s.options);
    for (const m of s.method) {
      stripOptions(m.options);
      uses.add(declaredIn.get(m.inputType));
      uses.add(declaredIn.get(m.outputType));
    }
  }
  if (p.extension.length > 0) throw new Error(`${name} declares extensions`);
  if (uses.has(undefined)) throw new Error(`${name} uses a type no file declares`);
  uses.delete(name);
  p.dependency = p.dependency.filter((d) => uses.has(d));
  p.publicDependency = [];
  p.weakDependency = [];
  for (const d of p.dependency) keep(d);
  if (!name.startsWith("google/protobuf/")) {
    const m = goPackages.find(([pre]) => name.startsWith(pre));
    if (!m) throw new Error(`no Go package for ${name}`);
    p.options.goPackage = `${prefix}/${m[1]};${m[1]}`;
  }
  kept.set(name, p);
}
keep(file_zitadel_message.proto.name);
keep(file_zitadel_user_v2_user_service.proto.name);

// Dependencies first, as protoc writes a set.
const ordered = [...files.keys()].filter((n) => kept.has(n)).map((n) => kept.get(n));
const set = create(FileDescriptorSetSchema, { file: ordered });
writeFileSync(out, toBinary(FileDescriptorSetSchema, set));
for (const f of ordered) console.error(`extracted ${f.name}`);
