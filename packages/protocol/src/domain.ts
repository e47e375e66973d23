/**
 * Domain separation. Every signed, MAC'd or hashed layout starts with a 13-byte header:
 * ASCII "trickle" (7) || protocol version (u8) || kind (u8) || network id (u32 BE), so a
 * signature for one kind, version or network is never valid for another.
 */
import { type Asset, asset as checkAsset } from './amount.js';
import { asciiBytes, type ByteReader, ByteWriter } from './bytes.js';
import type { HubId } from './ids.js';
import { assetCodeCharsMax, protocolVersion } from './limits.js';

/** What every signature is bound to: the network and the hub. */
export interface Domain {
  /** A u32 naming the deployment (e.g. 1 for production, 2 for a test network). */
  readonly networkId: number;
  /** The hub's id. */
  readonly hubId: HubId;
}

/** The kind byte of each layout. Values are part of the protocol; never reuse one. */
export const layoutKinds = {
  voucher: 0x01,
  open: 0x02,
  topUp: 0x03,
  close: 0x04,
  auth: 0x05,
  paymentRequest: 0x06,
  receipt: 0x07,
  logGenesis: 0x08,
  entitlement: 0x09,
  moneyRequest: 0x0a,
} as const;

/** A layout kind's name. */
export type LayoutKind = keyof typeof layoutKinds;

/** Length of the domain header in bytes. */
export const headerBytes = 13;

/** Length of an encoded asset in bytes: the code zero-padded to 12, then the scale. */
export const assetBytes = assetCodeCharsMax + 1;

const magic = asciiBytes('trickle');

/**
 * Checks a network id: a u32. Throws `TypeError`/`RangeError` otherwise.
 *
 * @example
 * ```ts
 * import { assertNetworkId } from '@trickle/protocol';
 * assertNetworkId(1);
 * ```
 */
export function assertNetworkId(networkId: unknown): number {
  if (typeof networkId !== 'number' || !Number.isInteger(networkId)) {
    throw new TypeError('networkId: expected an integer');
  }
  if (networkId < 0 || networkId > 0xffff_ffff) throw new RangeError('networkId: expected a u32');
  return networkId;
}

/**
 * Starts a layout of `length` bytes with the domain header of `kind` on `networkId`, in a new
 * buffer or in the first `length` bytes of `into` (see {@link ByteWriter}).
 *
 * @example
 * ```ts
 * import { beginLayout } from '@trickle/protocol';
 * beginLayout('voucher', 1, 13).finish().length; // 13: the header alone
 * ```
 */
export function beginLayout(kind: LayoutKind, networkId: number, length: number, into?: Uint8Array): ByteWriter {
  return new ByteWriter(length, into).bytes(headerOf(kind, networkId), headerBytes, 'header');
}

/** Headers by kind and network, built once: every receipt and request starts with one. */
const headers = new Map<number, Uint8Array>();
/** Distinct headers remembered at most (a deployment uses one or two networks). */
const headersMax = 256;

function headerOf(kind: LayoutKind, networkId: number): Uint8Array {
  const kindByte = layoutKinds[kind];
  if (kindByte === undefined) throw new RangeError(`layout: unknown kind ${String(kind)}`);
  // Checked first: only a u32 network id and a known kind may name a cached header.
  const id = assertNetworkId(networkId) * 16 + kindByte;
  const cached = headers.get(id);
  if (cached !== undefined) return cached;
  const header = new ByteWriter(headerBytes)
    .bytes(magic, magic.length, 'magic')
    .u8(protocolVersion)
    .u8(kindByte)
    .u32(networkId)
    .finish();
  if (headers.size < headersMax) headers.set(id, header);
  return header;
}

/**
 * Reads and checks a domain header of `kind`; returns the network id. Throws `RangeError`
 * for another magic, version or kind.
 *
 * @example
 * ```ts
 * import { beginLayout, ByteReader, readHeader } from '@trickle/protocol';
 * readHeader(new ByteReader(beginLayout('receipt', 7, 13).finish()), 'receipt'); // 7
 * ```
 */
export function readHeader(reader: ByteReader, kind: LayoutKind): number {
  const head = reader.bytes(magic.length);
  for (let i = 0; i < magic.length; i++) {
    if (head[i] !== magic[i]) throw new RangeError('layout: not a trickle layout');
  }
  const version = reader.u8();
  if (version !== protocolVersion) throw new RangeError(`layout: unsupported version ${version}`);
  const found = reader.u8();
  if (found !== layoutKinds[kind]) throw new RangeError(`layout: expected kind ${kind}, got ${found}`);
  return reader.u32();
}

/**
 * Writes an asset as 13 bytes: the ASCII code zero-padded to 12, then the scale.
 *
 * @example
 * ```ts
 * import { ByteWriter, writeAsset } from '@trickle/protocol';
 * writeAsset(new ByteWriter(13), { code: 'USD', scale: 6 }).finish().length; // 13
 * ```
 */
export function writeAsset(writer: ByteWriter, value: Asset): ByteWriter {
  return writer.bytes(assetLayout(value), assetBytes, 'asset');
}

/** Encoded assets by code, then by scale: a channel's asset is written into every receipt. */
const assetLayouts = new Map<string, (Uint8Array | undefined)[]>();
/** Distinct asset codes remembered at most (a hub accepts a handful). */
const assetLayoutsMax = 64;

/** The 13 bytes of a valid asset (throws like `asset` for an invalid one); cached, never handed out. */
function assetLayout(value: Asset): Uint8Array {
  if (typeof value?.scale === 'number') {
    const cached = assetLayouts.get(value.code)?.[value.scale];
    if (cached !== undefined) return cached;
  }
  const checked = checkAsset(value?.code, value?.scale);
  const bytes = new Uint8Array(assetBytes);
  bytes.set(asciiBytes(checked.code));
  bytes[assetCodeCharsMax] = checked.scale;
  if (assetLayouts.size < assetLayoutsMax || assetLayouts.has(checked.code)) {
    const byScale = assetLayouts.get(checked.code) ?? [];
    byScale[checked.scale] = bytes;
    assetLayouts.set(checked.code, byScale);
  }
  return bytes;
}

/**
 * Reads an asset written by {@link writeAsset}; throws `RangeError` when invalid.
 *
 * @example
 * ```ts
 * import { ByteReader, ByteWriter, readAsset, writeAsset } from '@trickle/protocol';
 * readAsset(new ByteReader(writeAsset(new ByteWriter(13), { code: 'USD', scale: 6 }).finish())); // { code: 'USD', scale: 6 }
 * ```
 */
export function readAsset(reader: ByteReader): Asset {
  const raw = reader.bytes(assetCodeCharsMax);
  const end = raw.indexOf(0);
  const codeBytes = end === -1 ? raw : raw.subarray(0, end);
  if (end !== -1 && raw.subarray(end).some((b) => b !== 0)) throw new RangeError('asset: bad padding');
  const code = String.fromCharCode(...codeBytes);
  return checkAsset(code, reader.u8());
}
