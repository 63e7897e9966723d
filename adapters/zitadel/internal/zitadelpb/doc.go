// Package zitadelpb holds the Go types and Connect bindings of ZITADEL's
// zitadel.user.v2.UserService, generated from the descriptors that the npm
// package @zitadel/proto embeds.
//
// Sources and tools, all pinned in generate/ (package.json, its lockfile and
// buf.gen.yaml):
//
//   - descriptors: @zitadel/proto 1.3.1 (zitadel/user/v2/*.proto, the files
//     they use, and zitadel/message.proto for zitadel.v1.ErrorDetail), read
//     with @bufbuild/protobuf 2.17.0
//   - buf 1.75.0 (@bufbuild/buf), protoc-gen-go v1.36.11,
//     protoc-gen-connect-go v1.21.1
//
// The generator keeps the wire: every message, enum and method of the
// service, with ZITADEL's field numbers and names. It drops the options that
// are extensions (google.api.http rules, OpenAPI docs, validation rules,
// ZITADEL's own) and the files declaring them, google/protobuf/descriptor.proto
// among them: they describe ZITADEL's gateway and documentation, not the
// messages, and would pull three more modules into the build. Each file's
// go_package is rewritten to a package here: userpb (zitadel.user.v2),
// objectpb, filterpb, metadatapb and messagepb (zitadel.v1); the Connect
// bindings are in userpb/userpbconnect. Well-known types come from
// google.golang.org/protobuf.
//
// The packages register ZITADEL's file and message names in the global
// protobuf registry, so a program cannot link them together with ZITADEL's
// own generated Go packages.
//
// To regenerate (needs Node, npm and Go):
//
//	go generate ./adapters/zitadel/internal/zitadelpb
package zitadelpb

//go:generate bash generate/gen.sh
