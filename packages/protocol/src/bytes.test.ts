import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, equalBytesConstantTime, fromBase64url, fromHex, toBase64url, toHex } from './index.js';

describe('bytes', () => {
  it('hex and base64url round trip any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(fromHex(toHex(bytes))).toEqual(bytes);
        expect(fromHex(toHex(bytes).toUpperCase())).toEqual(bytes);
        expect(fromBase64url(toBase64url(bytes))).toEqual(bytes);
        expect(toBase64url(bytes)).not.toMatch(/[+/=]/);
      }),
    );
  });

  it('refuses bad text with TypeError and wrong sizes with RangeError', () => {
    expect(() => fromHex('abc')).toThrow(TypeError);
    expect(() => fromHex('zz')).toThrow(TypeError);
    expect(() => fromHex('0x00')).toThrow(TypeError);
    expect(() => fromHex('0000', 3)).toThrow(RangeError);
    expect(() => fromBase64url('a+b/')).toThrow(TypeError);
    expect(() => fromBase64url('AA==')).toThrow(TypeError);
  });

  it('writes and reads fixed layouts big-endian and refuses wrong sizes', () => {
    const bytes = new ByteWriter(1 + 4 + 8 + 2)
      .u8(7)
      .u32(0x01020304)
      .u64(2n ** 63n - 1n)
      .bytes(new Uint8Array([9, 9]), 2, 'x')
      .finish();
    expect(toHex(bytes)).toBe('07010203047fffffffffffffff0909');
    const reader = new ByteReader(bytes);
    expect([reader.u8(), reader.u32(), reader.u64()]).toEqual([7, 0x01020304, 2n ** 63n - 1n]);
    expect(reader.bytes(2)).toEqual(new Uint8Array([9, 9]));
    reader.end();
    expect(() => new ByteWriter(2).bytes(new Uint8Array(3), 2, 'x')).toThrow(RangeError);
    expect(() => new ByteWriter(2).bytes(new Uint8Array(1), 1, 'x').finish()).toThrow(RangeError);
    expect(() => new ByteReader(new Uint8Array(1)).bytes(2)).toThrow(RangeError);
    expect(() => new ByteReader(new Uint8Array(1)).end()).toThrow(RangeError);
  });

  it('writes into a given buffer when asked: the same bytes, as a view of it, and refuses one too small', () => {
    const fresh = new ByteWriter(13).u8(1).u32(2).u64(3n).finish();
    const scratch = new Uint8Array(20).fill(0xee);
    const view = new ByteWriter(13, scratch).u8(1).u32(2).u64(3n).finish();
    expect(view).toEqual(fresh);
    expect(view.buffer).toBe(scratch.buffer);
    expect(scratch[13]).toBe(0xee); // nothing past the layout
    expect(() => new ByteWriter(13, new Uint8Array(12))).toThrow(RangeError);
  });

  it('compares in constant time by content', () => {
    expect(equalBytesConstantTime(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(equalBytesConstantTime(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(equalBytesConstantTime(new Uint8Array([1]), new Uint8Array([1, 2]))).toBe(false);
  });
});
