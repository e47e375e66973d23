/**
 * A token-level check of a msgpack frame, for what msgpackr's decoder does not refuse by
 * itself: it decodes some extension types (typed arrays, bundled strings) into ordinary
 * values, which the schema then cannot tell from a `bin` or a `str`. No message of the
 * protocol uses an extension (protocol.md section 7, step 2), so every token of the frame
 * is walked and any extension, or the never-used byte 0xc1, is reported. Iterative,
 * bounded by the frame's length.
 *
 * Floats are let through here: this implementation's encoder (msgpackr) writes integers
 * above 2^32 (times in ms) as float 64, and the test vectors fix that wire. The schema
 * refuses every number that is not a safe integer.
 */

/**
 * Bytes after the type byte, by type byte 0xc0..0xdf: the value of a number, or the
 * length of a bin or str, or the item count of an array or map (-1: not allowed).
 */
const bytesAfterType: readonly number[] = [
  0, // c0 nil
  -1, // c1 never used
  0, // c2 false
  0, // c3 true
  1, // c4 bin 8 (length)
  2, // c5 bin 16
  4, // c6 bin 32
  -1, // c7 ext 8
  -1, // c8 ext 16
  -1, // c9 ext 32
  4, // ca float 32
  8, // cb float 64
  1, // cc uint 8
  2, // cd uint 16
  4, // ce uint 32
  8, // cf uint 64
  1, // d0 int 8
  2, // d1 int 16
  4, // d2 int 32
  8, // d3 int 64
  -1, // d4 fixext 1
  -1, // d5 fixext 2
  -1, // d6 fixext 4
  -1, // d7 fixext 8
  -1, // d8 fixext 16
  1, // d9 str 8 (length)
  2, // da str 16
  4, // db str 32
  2, // dc array 16 (count)
  4, // dd array 32
  2, // de map 16
  4, // df map 32
];

/**
 * The first token of `frame` the protocol does not allow (an extension type, the
 * never-used byte), described, or `undefined` when every token is allowed. Also reports
 * a frame whose tokens run past its end.
 */
export function forbiddenToken(frame: Uint8Array): string | undefined {
  const end = frame.length;
  let at = 0;
  while (at < end) {
    const type = frame[at] as number;
    at += 1;
    // positive fixint, fixmap, fixarray, negative fixint: the type byte is the whole token.
    if (type <= 0x9f || type >= 0xe0) continue;
    if (type <= 0xbf) {
      at += type & 0x1f; // fixstr
      continue;
    }
    const header = bytesAfterType[type - 0xc0] as number;
    if (header < 0) return type === 0xc1 ? 'the never-used byte 0xc1' : 'an extension type';
    if (at + header > end) return 'a token past the end of the frame';
    if (type === 0xc4 || type === 0xc5 || type === 0xc6 || type === 0xd9 || type === 0xda || type === 0xdb) {
      let length = 0;
      for (let i = 0; i < header; i++) length = length * 256 + (frame[at + i] as number);
      at += header + length; // bin or str: skip the payload
    } else {
      at += header; // a number, or the count of an array or map (its items are the tokens that follow)
    }
  }
  return at === end ? undefined : 'a token past the end of the frame';
}
