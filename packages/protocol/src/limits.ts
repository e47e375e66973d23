/**
 * Protocol limits. Every limit is named with its unit last and is enforced where it is
 * used; changing one is a protocol change (docs/protocol.md, "Limits").
 */

/** Version byte of the wire protocol and of every domain tag. */
export const protocolVersion = 1;

/** Largest encoded frame, in bytes, either direction. Checked before decoding. */
export const frameBytesMax = 64 * 1024;

/**
 * Deepest nesting of maps and arrays in a frame, the outer map being 1. The messages need 5
 * (`logPage` > vouchers > voucher > entries > entry); a decoder refuses deeper frames
 * before it recurses into them.
 */
export const frameDepthMax = 8;

/** Most payment entries one voucher may cover. */
export const entriesPerVoucherMax = 128;

/** Largest amount in minor units: 2^63 - 1, so SQLite INTEGER and PostgreSQL BIGINT hold it. */
export const amountMax = 2n ** 63n - 1n;

/** Largest voucher sequence number (2^53 - 1: exact as a JavaScript number). */
export const seqMax = Number.MAX_SAFE_INTEGER;

/** Largest timestamp in Unix milliseconds accepted anywhere (year 2286). */
export const timeMsMax = 9_999_999_999_999;

/** Longest asset code, in characters. */
export const assetCodeCharsMax = 12;

/** Largest asset scale (decimal places of a minor unit). */
export const assetScaleMax = 18;

/** Longest human-readable text field (reject messages), in characters. */
export const textCharsMax = 512;

/** Longest memo of a peer-to-peer payment (`invoice`, `incoming`, a money request), in characters. */
export const memoCharsMax = 140;

/** Most vouchers one `log` page may return. */
export const logVouchersPerPageMax = 256;

/** Largest request id a client may use to correlate replies (u32). */
export const requestIdMax = 0xffff_ffff;

/** Largest fee rate in parts per million (100%). */
export const feePpmMax = 1_000_000;
