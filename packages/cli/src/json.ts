/** JSON with bigints as decimal strings, the admin API's wire format. */

/** Stringifies `value`, writing bigints as decimal strings and bytes as hex. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
    indent,
  );
}
