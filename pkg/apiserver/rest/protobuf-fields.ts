// The field tables of the protobuf request-body decoder (protobuf-body.ts): how one field of a
// k8s.io/api message is read and how its JSON form is written.

/** string | bytes (a Buffer) | bytes as JSON has them (base64) | bool | varint integer | metav1.Time | nested message | map entries | raw JSON bytes (FieldsV1) | a resource.Quantity (as its string). */
export type Kind = 'string' | 'bytes' | 'base64' | 'bool' | 'int' | 'time' | 'message' | 'map-string' | 'map-bytes' | 'map-quantity' | 'json' | 'intstr' | 'quantity';
export interface Field {
  name: string;
  kind: Kind;
  type?: string;
  repeated?: boolean;
  /** Leave out a zero value, as Go's JSON does for an `omitempty` integer. */
  omitZero?: boolean;
  /** A pointer field (`*bool`): false is a value and is kept, where other fields leave it out. */
  pointer?: boolean;
  /** A message whose fields JSON holds in the parent (Go's `json:",inline"`: IngressRule's rule value). */
  inline?: boolean;
}

export const f = (name: string, kind: Kind, extra: Partial<Field> = {}): Field => ({ name, kind, ...extra });
