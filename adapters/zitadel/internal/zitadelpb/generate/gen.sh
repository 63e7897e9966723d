#!/usr/bin/env bash
# gen.sh regenerates the Go packages beside this directory from the
# descriptors in @zitadel/proto. Needs Node, npm and Go; all versions are
# pinned in package.json, package-lock.json and buf.gen.yaml.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

npm ci --no-audit --no-fund --silent
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

node extract.mjs github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb "$tmp/zitadel.binpb"
rm -rf ../messagepb ../objectpb ../filterpb ../metadatapb ../userpb
npx buf generate "$tmp/zitadel.binpb#format=binpb" --template buf.gen.yaml --path zitadel
