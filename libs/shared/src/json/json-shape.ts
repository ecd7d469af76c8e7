/**
 * What JSON.parse does not say about JSON text: a key named twice in one object (it keeps
 * the last), a number it cannot read as written (1e400 becomes Infinity, 1e-400 becomes
 * 0), and how deep the text nests. The HTTP body parser and the CLI's JSON flags refuse
 * the same things with this one pass.
 */
export interface JsonShape {
  /** The deepest bracket nesting. */
  deepest: number;
  /** The first key named twice in one object (keys compared as decoded). */
  duplicateKey?: string;
  /** The first number JSON.parse cannot hold (it reads as ±Infinity, or as 0 though it is not 0), and where. */
  unreadableNumber?: { field: string; text: string };
  /** The first object or array nested deeper than the limit asked for, and where. */
  tooDeep?: { field: string };
}

/**
 * One pass over valid JSON text: its deepest bracket nesting, the first key it names twice
 * in one object, the first number that does not survive JSON.parse, and the first object
 * or array nested deeper than `maxDepth`, each with its field (`metadata.a.0`). Brackets,
 * quotes and digits inside strings are text. The pass stops at the first thing it
 * reports, so `deepest` then counts only what came before.
 */
export function shapeOf(text: string, maxDepth = Infinity): JsonShape {
  // One entry per open container: its keys (an object) or null (an array), and the key or index the pass is at.
  const open: { keys: Set<string> | null; at: string | number }[] = [];
  let deepest = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i;
      let escaped = false;
      for (i++; text.charCodeAt(i) !== 0x22; i++) {
        if (text.charCodeAt(i) === 0x5c) {
          escaped = true;
          i++;
        }
      }
      if (!expectKey) continue;
      expectKey = false;
      const key = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
      const top = open[open.length - 1]!;
      if (top.keys!.has(key)) return { deepest, duplicateKey: key };
      top.keys!.add(key);
      top.at = key;
    } else if (c === 0x7b || c === 0x5b) {
      if (open.length === maxDepth) return { deepest, tooDeep: { field: fieldOf(open) } };
      open.push({ keys: c === 0x7b ? new Set() : null, at: 0 });
      deepest = Math.max(deepest, open.length);
      expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      open.pop();
    } else if (c === 0x2c) {
      const top = open[open.length - 1]!;
      expectKey = top.keys !== null;
      if (!top.keys) (top.at as number)++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      while (i + 1 < text.length && isNumberChar(text.charCodeAt(i + 1))) i++;
      const number = text.slice(start, i + 1);
      // Only an exponent or some 309 digits take a double out of range.
      if ((number.length > 300 || /[eE]/.test(number)) && !readable(number)) {
        return { deepest, unreadableNumber: { field: fieldOf(open), text: number } };
      }
    }
  }
  return { deepest };
}

/** Where the pass is, as the validation pipe names fields: keys and indexes joined by dots. */
const fieldOf = (open: { at: string | number }[]) => open.map((o) => o.at).join('.');

/** 0-9 e E . + - */
const isNumberChar = (c: number) =>
  (c >= 0x30 && c <= 0x39) || c === 0x65 || c === 0x45 || c === 0x2e || c === 0x2b || c === 0x2d;

/** JSON.parse reads the number as it is written: finite, and not 0 unless it is 0. */
function readable(number: string): boolean {
  const value = Number(number);
  return Number.isFinite(value) && (value !== 0 || !/[1-9]/.test(number.split(/[eE]/)[0]));
}

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** Why an unreadable number is refused, naming its field (both cut short: they come from the client). */
export function unreadableNumberMessage({ field, text }: { field: string; text: string }): string {
  return (
    `${cut(field, 128)} is the number ${cut(text, 40)}, which reads as ${Number(text)}: ` +
    'a number must be within the range of a double, and not so small that it reads as 0'
  );
}
