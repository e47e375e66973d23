/**
 * A commit's writes, as groups of statements and their parameters, packed into one
 * ArrayBuffer, so the SQLite writer thread gets them with one transfer (no structured
 * clone of many small arrays, which would copy each one's whole backing buffer); and the
 * one piece of code that runs such a batch inside a transaction, on the writer thread or
 * inline. sqliteWriter.ts runs exactly this; sqlBatch.test.ts checks pack and unpack
 * against each other.
 *
 * A group is one channel's write: first its claims (one row per invoice it pays, inserted
 * into the unique invoice index with `ON CONFLICT DO NOTHING`), then its statements. A
 * claim that inserts nothing means the invoice is paid already (by another channel, or
 * another hub process on the same database): the group's earlier claims are deleted again,
 * its statements are skipped, and the group is reported refused. The other groups of the
 * batch commit as usual (ADR 0210).
 *
 * Format, big-endian: u32 group count; per group: u32 claim count, then per claim a value
 * list; u32 statement count, then per statement u8 statement index and a value list. A value
 * list is u8 count, then per value a tag u8 and its body: 0 null; 1 number (f64); 2 bigint
 * (i64); 3 bytes (u32 length, bytes); 4 text (u32 length, UTF-8).
 */

/** A value bound to a statement parameter. */
export type SqlValue = null | number | bigint | Uint8Array | string;

/** One statement to run: its index in the writer's prepared list, and its values. */
export interface SqlStatement {
  readonly statement: number;
  readonly values: readonly SqlValue[];
}

/** One write: the invoice claims that must all insert a row, then the statements. */
export interface SqlGroup {
  /** Values of the claim statement, one list per invoice; the unclaim statement takes the first value. */
  readonly claims: readonly (readonly SqlValue[])[];
  readonly statements: readonly SqlStatement[];
}

/** What running a batch did. */
export interface SqlBatchResult {
  /** Groups refused because a claim inserted nothing: [group index, claim index]. */
  readonly refused: readonly (readonly [number, number])[];
  /** Rows changed by the statements (not the claims) of the groups that ran. */
  readonly changes: number;
}

const encoder = new TextEncoder();

function valuesSize(values: readonly SqlValue[], texts: Map<string, Uint8Array>): number {
  if (values.length > 255) throw new RangeError('sql batch: at most 255 values per statement');
  let size = 1;
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
  return size;
}

/** Packs groups in the format above. */
export function packSqlBatch(groups: readonly SqlGroup[]): ArrayBuffer {
  const texts = new Map<string, Uint8Array>();
  let size = 4;
  for (const { claims, statements } of groups) {
    size += 8;
    for (const values of claims) size += valuesSize(values, texts);
    for (const { statement, values } of statements) {
      if (!Number.isInteger(statement) || statement < 0 || statement > 255) {
        throw new RangeError('sql batch: a statement index is a u8');
      }
      size += 1 + valuesSize(values, texts);
    }
  }
  const buffer = new ArrayBuffer(size);
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  let at = 0;
  const putValues = (values: readonly SqlValue[]) => {
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
  };
  view.setUint32(at, groups.length);
  at += 4;
  for (const { claims, statements } of groups) {
    view.setUint32(at, claims.length);
    at += 4;
    for (const values of claims) putValues(values);
    view.setUint32(at, statements.length);
    at += 4;
    for (const { statement, values } of statements) {
      view.setUint8(at++, statement);
      putValues(values);
    }
  }
  return buffer;
}

/**
 * The decoder and the runner, as plain JavaScript source: the writer thread is started
 * from source so that it needs no build step and no TypeScript loader, and the inline
 * path builds its runner from the same source (one implementation, two places it runs).
 * Defines `unpackSqlBatch(buffer) -> { claims: values[][], statements: [index, values][] }[]`
 * and `runSqlGroups(prepared, claimIndex, unclaimIndex, groups) -> { refused, changes }`,
 * which must be called inside a transaction.
 */
export const sqlBatchSource = `
function unpackSqlBatch(buffer) {
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  const decoder = new TextDecoder();
  let at = 0;
  const values = () => {
    const n = view.getUint8(at++);
    const out = [];
    for (let v = 0; v < n; v++) {
      const tag = view.getUint8(at++);
      if (tag === 0) out.push(null);
      else if (tag === 1) { out.push(view.getFloat64(at)); at += 8; }
      else if (tag === 2) { out.push(view.getBigInt64(at)); at += 8; }
      else if (tag === 3 || tag === 4) {
        const length = view.getUint32(at);
        const body = bytes.subarray(at + 4, at + 4 + length);
        out.push(tag === 3 ? Buffer.from(buffer, at + 4, length) : decoder.decode(body));
        at += 4 + length;
      } else throw new RangeError('sql batch: unknown tag ' + tag);
    }
    return out;
  };
  const groupCount = view.getUint32(at);
  at += 4;
  const groups = [];
  for (let g = 0; g < groupCount; g++) {
    const claimCount = view.getUint32(at);
    at += 4;
    const claims = [];
    for (let c = 0; c < claimCount; c++) claims.push(values());
    const statementCount = view.getUint32(at);
    at += 4;
    const statements = [];
    for (let s = 0; s < statementCount; s++) {
      const statement = view.getUint8(at++);
      statements.push([statement, values()]);
    }
    groups.push({ claims, statements });
  }
  if (at !== buffer.byteLength) throw new RangeError('sql batch: trailing bytes');
  return groups;
}

function runSqlGroups(prepared, claimIndex, unclaimIndex, groups) {
  const refused = [];
  let changes = 0;
  for (let g = 0; g < groups.length; g++) {
    const { claims, statements } = groups[g];
    let taken = -1;
    for (let c = 0; c < claims.length; c++) {
      if (prepared[claimIndex].run(...claims[c]).changes === 0) {
        taken = c;
        break;
      }
    }
    if (taken >= 0) {
      for (let c = 0; c < taken; c++) prepared[unclaimIndex].run(claims[c][0]);
      refused.push([g, taken]);
      continue;
    }
    for (const [index, values] of statements) changes += prepared[index].run(...values).changes;
  }
  return { refused, changes };
}
`;
