import { fromStruct, fromTimestamp, fromValue, type ProtoValue } from '../../apps/api/src/grpc/proto-values';

type Json = unknown;

/**
 * A gRPC message read back into REST's JSON, to compare the two transports field for field:
 * Timestamps as ISO strings, Struct/Value as JSON, fields left unset as null. Numbers are
 * compared as text on both sides (REST may write an int64 as a number or a string).
 */
export function restShape(message: Json, restBody: Json): Json {
  if (message === undefined || message === null) return null;
  if (Array.isArray(message)) return message.map((m, i) => restShape(m, (restBody as Json[] | undefined)?.[i]));
  if (typeof message === 'number' || typeof message === 'bigint') return String(message);
  if (typeof message !== 'object') return message;
  const m = message as Record<string, Json>;
  if ('seconds' in m && 'nanos' in m && Object.keys(m).length === 2) {
    return fromTimestamp(m as { seconds: string; nanos: number })!.toISOString();
  }
  if ('kind' in m) return textNumbers(fromValue(m as ProtoValue));
  if ('fields' in m && Object.keys(m).length === 1)
    return textNumbers(fromStruct(m as { fields: Record<string, ProtoValue> }));
  const rest = (restBody ?? {}) as Record<string, Json>;
  const keys = new Set([...Object.keys(m).filter((k) => !k.startsWith('_')), ...Object.keys(rest)]);
  return Object.fromEntries([...keys].sort().map((k) => [k, restShape(m[k], rest[k])]));
}

/** A REST body with its numbers as text and its keys sorted (see restShape). */
export function textNumbers(body: Json): Json {
  if (body === undefined || body === null) return null;
  if (Array.isArray(body)) return body.map(textNumbers);
  if (typeof body === 'number') return String(body);
  if (typeof body !== 'object') return body;
  return Object.fromEntries(
    Object.entries(body as Record<string, Json>)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, textNumbers(v)]),
  );
}
