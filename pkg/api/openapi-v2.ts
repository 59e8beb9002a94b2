// GET /openapi/v2: the definitions of every served kind as one Swagger 2.0 document, in JSON and
// in the protobuf form client-go asks for (gnostic's openapi.v2.Document). kubectl reads it when
// OpenAPI v3 cannot answer: a kind without a PATCH operation (the create-only reviews:
// SubjectAccessReview, TokenReview, ...) has no fieldValidation to check server-side, so
// `kubectl create -f` validates it on the client against these definitions, and failed with
// "failed to download openapi" while the endpoint was a 404. Only definitions are published
// (the operations are in the v3 documents, which kubectl prefers).

type Schema = Record<string, unknown>;

const V3_REF = '#/components/schemas/';

/** Keys that may sit beside a lone allOf reference and still make it a plain v2 $ref. */
const besideRef = (k: string) => k === 'allOf' || k === 'description' || k === 'default' || k.startsWith('x-kubernetes-');

/**
 * A v3 schema as Swagger 2.0: `#/definitions/` references, a lone allOf reference as $ref (with
 * its description and extensions beside it, as kube-openapi publishes DeploymentSpec.strategy's
 * x-kubernetes-patch-strategy: kubectl reads them there), no defaults.
 */
export function toV2Schema(s: Schema): Schema {
  const out: Schema = {};
  const allOf = s.allOf as Schema[] | undefined;
  if (allOf?.length === 1 && typeof allOf[0]!.$ref === 'string' && Object.keys(s).every(besideRef)) {
    const ext = Object.fromEntries(Object.entries(s).filter(([k]) => k.startsWith('x-kubernetes-')));
    return { $ref: (allOf[0]!.$ref as string).replace(V3_REF, '#/definitions/'), ...(s.description ? { description: s.description } : {}), ...ext };
  }
  for (const [k, v] of Object.entries(s)) {
    if (k === 'default' || k === 'nullable' || k === 'anyOf' || k === 'oneOf' || k === 'not') continue;
    if (k === '$ref') out.$ref = (v as string).replace(V3_REF, '#/definitions/');
    else if (k === 'items' && v && typeof v === 'object' && !Array.isArray(v)) out.items = toV2Schema(v as Schema);
    else if (k === 'additionalProperties' && v && typeof v === 'object') out.additionalProperties = toV2Schema(v as Schema);
    else if (k === 'allOf') out.allOf = (v as Schema[]).map(toV2Schema);
    else if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v as Record<string, Schema>).map(([n, p]) => [n, toV2Schema(p)]));
    else out[k] = v;
  }
  // (a oneOf of scalars is its OpenAPISchemaType in v2, as kube-openapi publishes it: Quantity's
  // first, string; IntOrString's string, though its v3 oneOf lists integer first)
  const oneOf = s.oneOf as Schema[] | undefined;
  if (!out.type && !out.$ref && oneOf?.length && typeof oneOf[0]!.type === 'string') out.type = out.format === 'int-or-string' ? 'string' : oneOf[0]!.type;
  return out;
}

/** The Swagger 2.0 document (JSON form) of these v3 component schemas. */
export function swaggerDoc(schemas: Record<string, Schema>, version: string): Schema {
  const definitions = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => (a < b ? -1 : 1)).map(([n, s]) => [n, toV2Schema(s)]));
  return { swagger: '2.0', info: { title: 'Kubernetes', version }, paths: {}, definitions };
}

// ---- protobuf (gnostic openapi.v2) ----

class Writer {
  private readonly parts: Buffer[] = [];
  private size = 0;

  private push(b: Buffer): void {
    this.parts.push(b);
    this.size += b.length;
  }

  private varint(n: number): void {
    const bytes: number[] = [];
    let v = BigInt.asUintN(64, BigInt(Math.trunc(n)));
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v) byte |= 0x80;
      bytes.push(byte);
    } while (v);
    this.push(Buffer.from(bytes));
  }

  string(field: number, s: string | undefined): this {
    if (!s) return this;
    return this.bytes(field, Buffer.from(s, 'utf8'));
  }

  bytes(field: number, b: Buffer): this {
    this.varint((field << 3) | 2);
    this.varint(b.length);
    this.push(b);
    return this;
  }

  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }

  bool(field: number, b: unknown): this {
    if (b !== true) return this;
    this.varint(field << 3);
    this.varint(1);
    return this;
  }

  int(field: number, n: unknown): this {
    if (typeof n !== 'number' || n === 0) return this;
    this.varint(field << 3);
    this.varint(n);
    return this;
  }

  double(field: number, n: unknown): this {
    if (typeof n !== 'number' || n === 0) return this;
    this.varint((field << 3) | 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(n);
    this.push(b);
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }
}

/** openapi.v2.Any: the value as YAML text (JSON is YAML), as gnostic carries vendor extensions and enums. */
const anyOf = (v: unknown) => new Writer().string(2, JSON.stringify(v));
const namedAny = (name: string, v: unknown) => new Writer().string(1, name).message(2, anyOf(v));

function schemaMessage(s: Schema): Writer {
  const w = new Writer();
  w.string(1, s.$ref as string | undefined)
    .string(2, s.format as string | undefined)
    .string(3, s.title as string | undefined)
    .string(4, s.description as string | undefined)
    .double(6, s.multipleOf)
    .double(7, s.maximum)
    .bool(8, s.exclusiveMaximum)
    .double(9, s.minimum)
    .bool(10, s.exclusiveMinimum)
    .int(11, s.maxLength)
    .int(12, s.minLength)
    .string(13, s.pattern as string | undefined)
    .int(14, s.maxItems)
    .int(15, s.minItems)
    .bool(16, s.uniqueItems)
    .int(17, s.maxProperties)
    .int(18, s.minProperties);
  for (const r of (s.required as string[] | undefined) ?? []) w.string(19, r);
  for (const e of (s.enum as unknown[] | undefined) ?? []) w.message(20, anyOf(e));
  const ap = s.additionalProperties;
  if (typeof ap === 'boolean') w.message(21, new Writer().bool(2, ap));
  else if (ap && typeof ap === 'object') w.message(21, new Writer().message(1, schemaMessage(ap as Schema)));
  if (typeof s.type === 'string') w.message(22, new Writer().string(1, s.type));
  if (s.items && typeof s.items === 'object') w.message(23, new Writer().message(1, schemaMessage(s.items as Schema)));
  for (const a of (s.allOf as Schema[] | undefined) ?? []) w.message(24, schemaMessage(a));
  if (s.properties) {
    const props = new Writer();
    for (const [n, p] of Object.entries(s.properties as Record<string, Schema>)) props.message(1, new Writer().string(1, n).message(2, schemaMessage(p)));
    w.message(25, props);
  }
  w.bool(27, s.readOnly);
  for (const [k, v] of Object.entries(s)) if (k.startsWith('x-')) w.message(31, namedAny(k, v));
  return w;
}

/** The document as gnostic's openapi.v2.Document protobuf (application/com.github.proto-openapi.spec.v2.v1.0+protobuf). */
export function swaggerProto(doc: Schema): Buffer {
  const info = doc.info as { title: string; version: string };
  const defs = new Writer();
  for (const [n, s] of Object.entries(doc.definitions as Record<string, Schema>)) defs.message(1, new Writer().string(1, n).message(2, schemaMessage(s)));
  return new Writer()
    .string(1, doc.swagger as string)
    .message(2, new Writer().string(1, info.title).string(2, info.version))
    .message(8, new Writer())
    .message(9, defs)
    .finish();
}

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
