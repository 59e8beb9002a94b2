// The field table generated from proto/ (generated/schema.json): for every message, its fields
// with their JSON name and kind. Strict decoding and the OpenAPI documents are both driven by it.
import schemaJson from './generated/schema.json' with { type: 'json' };

export type ScalarKind = 'string' | 'int' | 'bool' | 'double';
/** `value` is google.protobuf.Value (IntOrString here); `object` is a free-form JSON object. */
export type FieldKind = ScalarKind | 'message' | 'map' | 'value' | 'object';

export interface FieldSchema {
  name: string;
  kind: FieldKind;
  /** int32 or int64 for `int` fields; `byte` for base64 `string` fields (proto bytes). */
  format?: string;
  /** Message type name for `message` fields. */
  type?: string;
  repeated?: boolean;
  /** The value of a `map` field. */
  value?: { kind: FieldKind; type?: string; format?: string };
  /** The field's comment in the .proto file. */
  description?: string;
}

export interface MessageSchema {
  description?: string;
  fields: FieldSchema[];
}

const messages = (schemaJson as unknown as { messages: Record<string, MessageSchema> }).messages;
const byName = new Map<string, Map<string, FieldSchema>>();

/** All message names in the schema. */
export function messageNames(): string[] {
  return Object.keys(messages);
}

export function messageSchema(typeName: string): MessageSchema | undefined {
  return messages[typeName];
}

/** The fields of a message keyed by JSON name; throws for a type the schema does not know (a bug). */
export function fieldsOfMessage(typeName: string): Map<string, FieldSchema> {
  let m = byName.get(typeName);
  if (!m) {
    const s = messages[typeName];
    if (!s) throw new Error(`schema: unknown message type ${typeName}`);
    m = new Map(s.fields.map((f) => [f.name, f]));
    byName.set(typeName, m);
  }
  return m;
}
