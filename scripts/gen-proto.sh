#!/usr/bin/env bash
# Regenerates pkg/api/generated/ from proto/: TypeScript types and the gRPC service (ts-proto),
# and schema.json, the field table that strict decoding and OpenAPI are driven by.
# Run with `npm run gen:proto`; the output is checked in.
set -euo pipefail
cd "$(dirname "$0")/.."

# OUT may be overridden (the freshness test generates into a temporary directory).
OUT=${OUT:-pkg/api/generated}
PLUGIN=node_modules/.bin/protoc-gen-ts_proto
COMMON='esModuleInterop=true,importSuffix=.js,useOptionals=all,forceLong=number,snakeToCamel=false,env=node'

rm -rf "${OUT:?}"
OUT=$(mkdir -p "$OUT" && cd "$OUT" && pwd)
PLUGIN=$(pwd)/$PLUGIN

# Kinds: interfaces only (objects travel as JSON; no binary codecs needed).
TYPES=$(cd proto && ls tskube/api/v1/*.proto | grep -v '/api.proto$')
(cd proto && protoc --plugin=protoc-gen-ts_proto="$PLUGIN" \
  --ts_proto_out="$OUT" --ts_proto_opt="$COMMON,onlyTypes=true" \
  -I . -I /usr/include $TYPES)

# The gRPC service: full message codecs plus grpc-js service definitions.
(cd proto && protoc --plugin=protoc-gen-ts_proto="$PLUGIN" \
  --ts_proto_out="$OUT" --ts_proto_opt="$COMMON,outputServices=grpc-js" \
  -I . -I /usr/include tskube/api/v1/api.proto)

# etcd's wire messages (a subset of its v3 API), for the apiserver's own etcd client: codecs only;
# 64-bit integers stay decimal strings (lease IDs use all 64 bits);
# the client speaks gRPC over node:http2 itself (pkg/apiserver/etcd-client.ts).
(cd proto && protoc --plugin=protoc-gen-ts_proto="$PLUGIN" \
  --ts_proto_out="$OUT" --ts_proto_opt="${COMMON/forceLong=number/forceLong=string},outputServices=false,outputJsonMethods=false,outputPartialMethods=false,oneof=unions-value" \
  -I . etcd/rpc.proto)

# The gRPC health checking protocol: codecs and the grpc-js client, for the node agent's gRPC probes.
(cd proto && protoc --plugin=protoc-gen-ts_proto="$PLUGIN" \
  --ts_proto_out="$OUT" --ts_proto_opt="$COMMON,outputServices=grpc-js,outputJsonMethods=false,outputPartialMethods=false" \
  -I . grpc/health/v1/health.proto)

# Generated code is fenced from the repo's lint-level compiler options (noUnusedLocals, ...).
find "$OUT" -name '*.ts' | while read -r f; do
  { head -n 1 "$f"; echo '// @ts-nocheck'; tail -n +2 "$f"; } > "$f.tmp" && mv "$f.tmp" "$f"
done

node --input-type=module - "$OUT/schema.json" $(cd proto && echo $TYPES | sed 's#[^ ]*#proto/&#g') <<'JS'
// schema.json: for every message, its fields with JSON name and kind
// (string|int|bool|double|message|map|value|object), repeated, and referenced type.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
const require = createRequire(path.resolve('package.json'));
const protobuf = require('protobufjs');
const [out, ...files] = process.argv.slice(2);
const root = new protobuf.Root();
root.resolvePath = (origin, target) =>
  target.startsWith('google/protobuf/') ? target : path.resolve('proto', target);
root.loadSync(files.map((f) => path.relative('proto', f)), { keepCase: true, alternateCommentMode: true });
root.resolveAll();

const scalar = {
  string: ['string'], bytes: ['string', 'byte'], bool: ['bool'], double: ['double'], float: ['double'],
  int32: ['int', 'int32'], uint32: ['int', 'int32'], sint32: ['int', 'int32'], fixed32: ['int', 'int32'], sfixed32: ['int', 'int32'],
  int64: ['int', 'int64'], uint64: ['int', 'int64'], sint64: ['int', 'int64'], fixed64: ['int', 'int64'], sfixed64: ['int', 'int64'],
};
function kindOf(type, resolved) {
  if (scalar[type]) return { kind: scalar[type][0], ...(scalar[type][1] ? { format: scalar[type][1] } : {}) };
  const full = resolved.fullName.replace(/^\./, '');
  if (full === 'google.protobuf.Value') return { kind: 'value' };
  if (full === 'google.protobuf.Struct') return { kind: 'object' };
  return { kind: 'message', type: resolved.name };
}
const messages = {};
// A comment as Kubernetes' descriptions read: a paragraph's lines joined by spaces (clients such
// as kubectl explain wrap the text themselves), paragraphs and list items kept on lines of their own.
function reflow(text) {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((p) => p.split('\n').map((l) => l.trim()).reduce((acc, l) => (!acc ? l : /^([-*]|\d+\.)\s/.test(l) ? `${acc}\n${l}` : `${acc} ${l}`), ''))
    .join('\n\n');
}

function walk(ns) {
  for (const obj of ns.nestedArray) {
    if (obj instanceof protobuf.Type && obj.fullName.startsWith('.tskube.')) {
      const fields = obj.fieldsArray.sort((a, b) => a.id - b.id).map((f) => {
        // A `+quantity` line in a field's comment marks a string (or a map's string values) as a
        // resource.Quantity: format quantity. The marker is not part of the description.
        const lines = (f.comment ?? '').split('\n');
        const quantity = lines.some((l) => l.trim() === '+quantity');
        const comment = reflow(lines.filter((l) => l.trim() !== '+quantity').join('\n'));
        const doc = comment ? { description: comment } : {};
        const kind = (k) => (quantity && k.kind === 'string' ? { ...k, format: 'quantity' } : k);
        if (f.map) {
          const v = kind(kindOf(f.type, f.resolvedType));
          return { name: f.name, kind: 'map', value: v, ...doc };
        }
        return { name: f.name, ...kind(kindOf(f.type, f.resolvedType)), ...(f.repeated ? { repeated: true } : {}), ...doc };
      });
      messages[obj.name] = { ...(obj.comment ? { description: reflow(obj.comment) } : {}), fields };
    }
    if (obj.nestedArray) walk(obj);
  }
}
walk(root);
const sorted = Object.fromEntries(Object.keys(messages).sort().map((k) => [k, messages[k]]));
writeFileSync(out, JSON.stringify({ comment: 'Code generated by scripts/gen-proto.sh. DO NOT EDIT.', messages: sorted }, null, 1) + '\n');
JS
echo "generated $(find "$OUT" -type f | wc -l) files in $OUT"
