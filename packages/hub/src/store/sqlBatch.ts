/**
 * A transaction's statements and their parameters packed into one ArrayBuffer, so the
 * SQLite writer thread gets them with one transfer (no structured clone of many small
 * arrays, which would copy each one's whole backing buffer). The writer thread's
 * decoder (sqliteWriter.ts) reads exactly this format; sqlBatch.test.ts checks the two
 * against each other.
 *
 * Format: u32 statement count, then per statement: u8 statement index, u8 value count,
 * then per value a tag u8 and its body: 0 null; 1 number (f64); 2 bigint (i64);
 * 3 bytes (u32 length, bytes); 4 text (u32 length, UTF-8). Big-endian.
 */

/** A value bound to a statement parameter. */
export type SqlValue = null | number | bigint | Uint8Array | string;

/** One statement to run: its index in the writer's prepared list, and its values. */
export interface SqlStatement {
  readonly statement: number;
  readonly values: readonly SqlValue[];
}

const encoder = new TextEncoder();

/** Packs statements in the format above. */
export function packSqlBatch(statements: readonly SqlStatement[]): ArrayBuffer {
  let size = 4;
  const texts = new Map<string, Uint8Array>();
  for (const { values } of statements) {
    size += 2;
    for (const value of values) {
      size += 1;
      if (typeof value === 'number' || typeof value === 'bigint') size += 8;
      else if (value instanceof Uint8Array) size += 4 + value.length;
      else if (typeof value === 'string') {
        const bytes = texts.get(value) ?? encoder.encode(value);
        texts.set(value, bytes);
        size += 4 + bytes.length;
      } else if (value !== null) throw new TypeError(`sql batch: cannot bind ${typeof value}`);
    }
  }
  const buffer = new ArrayBuffer(size);
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  let at = 0;
  view.setUint32(at, statements.length);
  at += 4;
  for (const { statement, values } of statements) {
    if (!Number.isInteger(statement) || statement < 0 || statement > 255 || values.length > 255) {
      throw new RangeError('sql batch: statement index and value count are u8');
    }
    view.setUint8(at++, statement);
    view.setUint8(at++, values.length);
    for (const value of values) {
      if (value === null) {
        view.setUint8(at++, 0);
      } else if (typeof value === 'number') {
        view.setUint8(at++, 1);
        view.setFloat64(at, value);
        at += 8;
      } else if (typeof value === 'bigint') {
        view.setUint8(at++, 2);
        view.setBigInt64(at, value);
        at += 8;
      } else {
        const body = value instanceof Uint8Array ? value : (texts.get(value) as Uint8Array);
        view.setUint8(at++, value instanceof Uint8Array ? 3 : 4);
        view.setUint32(at, body.length);
        bytes.set(body, at + 4);
        at += 4 + body.length;
      }
    }
  }
  return buffer;
}

/**
 * The decoder, as plain JavaScript source: it runs in the writer thread, which is started
 * from source so that it needs no build step and no TypeScript loader. Defines
 * `unpackSqlBatch(buffer) -> [statementIndex, values[]][]`.
 */
export const unpackSqlBatchSource = `
function unpackSqlBatch(buffer) {
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  const decoder = new TextDecoder();
  let at = 0;
  const count = view.getUint32(at);
  at += 4;
  const out = [];
  for (let s = 0; s < count; s++) {
    const statement = view.getUint8(at++);
    const n = view.getUint8(at++);
    const values = [];
    for (let v = 0; v < n; v++) {
      const tag = view.getUint8(at++);
      if (tag === 0) values.push(null);
      else if (tag === 1) { values.push(view.getFloat64(at)); at += 8; }
      else if (tag === 2) { values.push(view.getBigInt64(at)); at += 8; }
      else if (tag === 3 || tag === 4) {
        const length = view.getUint32(at);
        const body = bytes.subarray(at + 4, at + 4 + length);
        values.push(tag === 3 ? Buffer.from(buffer, at + 4, length) : decoder.decode(body));
        at += 4 + length;
      } else throw new RangeError('sql batch: unknown tag ' + tag);
    }
    out.push([statement, values]);
  }
  if (at !== buffer.byteLength) throw new RangeError('sql batch: trailing bytes');
  return out;
}
`;
