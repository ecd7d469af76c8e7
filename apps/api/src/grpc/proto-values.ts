/**
 * google.protobuf.Value, Struct and Timestamp as proto-loader's objects, to and from the plain
 * JSON values and dates the use cases take and return (the proto3 JSON mapping of those types).
 */

export interface ProtoValue {
  kind?: string;
  nullValue?: string | number;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: ProtoStruct;
  listValue?: { values?: ProtoValue[] };
}

export interface ProtoStruct {
  fields?: Record<string, ProtoValue>;
}

export interface ProtoTimestamp {
  seconds: string;
  nanos: number;
}

export function toValue(value: unknown): ProtoValue {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toValue) } };
  return { structValue: toStruct(value as Record<string, unknown>) };
}

export function toStruct(object: Record<string, unknown>): ProtoStruct {
  return { fields: Object.fromEntries(Object.entries(object).map(([k, v]) => [k, toValue(v)])) };
}

/** undefined for a Value never set (no `kind`): the field was left out. */
export function fromValue(value: ProtoValue | null | undefined): unknown {
  switch (value?.kind) {
    case undefined:
      return undefined;
    case 'nullValue':
      return null;
    case 'numberValue':
      return value.numberValue;
    case 'stringValue':
      return value.stringValue;
    case 'boolValue':
      return value.boolValue;
    case 'listValue':
      return (value.listValue?.values ?? []).map(fromValue);
    default:
      return fromStruct(value?.structValue);
  }
}

export function fromStruct(struct: ProtoStruct | null | undefined): Record<string, unknown> | undefined {
  if (!struct) return undefined;
  return Object.fromEntries(Object.entries(struct.fields ?? {}).map(([k, v]) => [k, fromValue(v)]));
}

export function toTimestamp(at: Date | string | null | undefined): ProtoTimestamp | null {
  if (at === null || at === undefined) return null;
  const ms = new Date(at).getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

export function fromTimestamp(at: ProtoTimestamp | null | undefined): Date | null {
  if (!at) return null;
  return new Date(Number(at.seconds) * 1000 + Math.floor(at.nanos / 1_000_000));
}

/**
 * A request as REST's DTOs take it: proto3 `optional` fields left out are absent (not their
 * zero), the oneof bookkeeping keys proto-loader adds (`_field`) dropped.
 */
export function withoutUnset<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(object).filter(([k, v]) => !k.startsWith('_') && v !== undefined && v !== null),
  ) as Partial<T>;
}
