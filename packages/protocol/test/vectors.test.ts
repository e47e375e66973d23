/**
 * Checks every vector in test/vectors/*.json by recomputing its outputs from its inputs.
 * The JSON files are the compatibility contract for other implementations.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AmountError,
  authSigningBytes,
  channelIdOf,
  checkPaymentRequestMac,
  checkReceiptMac,
  checkSignature,
  closeSigningBytes,
  decodeClientMessage,
  decodeHubMessage,
  decodePaymentRequest,
  decodeReceipt,
  deriveMerchantKey,
  encodeClientMessage,
  encodeHubMessage,
  encodePaymentRequest,
  encodeReceipt,
  entryBytes,
  FrameError,
  feeOf,
  formatAmount,
  hubIdFromKey,
  logGenesis,
  logStep,
  nobleVerifier,
  openSigningBytes,
  parseAmount,
  payeeIdFromKey,
  paymentRequestBytes,
  publicKeyOf,
  readCanonical,
  receiptBytes,
  resourceHash,
  settle,
  signWithEntropy,
  topUpSigningBytes,
  voucherSigningBytes,
  writeCanonical,
} from '../src/index.js';
import { fromJson, hex } from './vectorJson.js';

// biome-ignore lint/suspicious/noExplicitAny: vectors are loosely typed JSON, checked field by field below.
type Json = any;
const pairs = (list: Json[], name: (c: Json) => string): [string, Json][] => list.map((c) => [name(c), c]);
const load = (name: string): Json =>
  fromJson(JSON.parse(readFileSync(join(import.meta.dirname, 'vectors', name), 'utf8')));

describe('vectors: amounts', () => {
  const v = load('amounts.json');
  it.each(pairs(v.valid, (c) => c.text))('parses %j', (_t, c: Json) => {
    expect(parseAmount(c.text, c.asset)).toBe(c.units);
  });
  it.each(pairs(v.invalid, (c) => c.text))('refuses %j', (_t, c: Json) => {
    expect(() => parseAmount(c.text, c.asset)).toThrow(AmountError);
    try {
      parseAmount(c.text, c.asset);
    } catch (error) {
      expect((error as AmountError).code).toBe(c.code);
    }
  });
  it('formats', () => {
    for (const c of v.format) expect(formatAmount(c.units, c.asset, c.options)).toBe(c.text);
  });
});

describe('vectors: keys and ids', () => {
  const v = load('keys.json');
  it('derives public keys, hub ids and payee ids', () => {
    for (const k of v.keys) {
      expect(publicKeyOf(k.secretKey)).toEqual(k.publicKey);
      expect(hubIdFromKey(k.publicKey)).toEqual(k.hubId);
      expect(payeeIdFromKey(k.publicKey)).toEqual(k.payeeId);
    }
  });
  it('derives channel ids', () => {
    for (const c of v.channelIds) expect(channelIdOf(c.hubId, c.clientKey, c.nonce)).toEqual(c.channelId);
  });
  it('derives the same merchant key from either side', () => {
    for (const m of v.merchantKeys) {
      const common = { networkId: m.networkId, hubId: m.hubId, payeeId: m.payeeId };
      expect(deriveMerchantKey({ secretKey: m.hubSecretKey, peerKey: m.merchantPublicKey, ...common })).toEqual(m.key);
      expect(deriveMerchantKey({ secretKey: m.merchantSecretKey, peerKey: m.hubPublicKey, ...common })).toEqual(m.key);
    }
  });
});

describe('vectors: payment log', () => {
  const v = load('log.json');
  it('chains entries from the genesis head', () => {
    let head = logGenesis(v.domain, v.channelId);
    expect(head).toEqual(v.genesis);
    for (const step of v.steps) {
      expect(entryBytes(step.entry)).toEqual(step.entryBytes);
      head = logStep(head, step.entry);
      expect(head).toEqual(step.head);
    }
  });
});

describe('vectors: signed and MACed layouts', () => {
  const v = load('signing.json');
  const layouts: [string, (d: Json, f: Json) => Uint8Array][] = [
    ['voucher', (d, f) => voucherSigningBytes(d, f)],
    ['close', (d, f) => closeSigningBytes(d, f)],
    ['open', (d, f) => openSigningBytes(d, f)],
    ['topUp', (d, f) => topUpSigningBytes(d, f)],
    ['auth', (d, f) => authSigningBytes(d, f.challenge, f.clientKey)],
  ];
  it.each(layouts)('%s: signing bytes, deterministic signature, verification', (name, build) => {
    const c = v[name];
    const bytes = build(v.domain, c.fields);
    expect(bytes).toEqual(c.signingBytes);
    expect(signWithEntropy(c.secretKey, bytes, c.entropy)).toEqual(c.signature);
    expect(checkSignature(nobleVerifier, c.signature, bytes, publicKeyOf(c.secretKey))).toBe('valid');
  });
  it('payment request: bytes, MAC, token', () => {
    const c = v.paymentRequest;
    expect(resourceHash(c.resourceText)).toEqual(c.fields.resource);
    expect(paymentRequestBytes(c.fields)).toEqual(c.bytes);
    expect(paymentRequestBytes(c.fields, new Uint8Array(200))).toEqual(c.bytes); // into a buffer: same bytes
    const request = { ...c.fields, mac: c.mac };
    expect(checkPaymentRequestMac(c.key, request)).toBe(true);
    expect(encodePaymentRequest(request)).toBe(c.token);
    expect(decodePaymentRequest(c.token)).toEqual(request);
  });
  it('receipt: bytes, MAC, token', () => {
    const c = v.receipt;
    expect(receiptBytes(c.fields)).toEqual(c.bytes);
    expect(receiptBytes(c.fields, new Uint8Array(200))).toEqual(c.bytes);
    const receipt = { ...c.fields, mac: c.mac };
    expect(checkReceiptMac(c.key, receipt)).toBe(true);
    expect(encodeReceipt(receipt)).toBe(c.token);
    expect(decodeReceipt(c.token)).toEqual(receipt);
  });
});

describe('vectors: signature rules', () => {
  const v = load('signatures.json');
  it.each(pairs(v.cases, (c) => c.name))('%s', (_n, c: Json) => {
    expect(checkSignature(nobleVerifier, c.signature, v.message, c.publicKey)).toBe(c.expected);
  });
});

describe('vectors: frames', () => {
  const v = load('frames.json');
  it.each(pairs(v.client, (c) => c.message.type))('client %s encodes to the exact frame and back', (_t, c: Json) => {
    expect(encodeClientMessage(c.message)).toEqual(c.frame);
    expect(decodeClientMessage(c.frame)).toEqual(c.message);
  });
  it.each(pairs(v.hub, (c) => c.message.type))('hub %s encodes to the exact frame and back', (_t, c: Json) => {
    expect(encodeHubMessage(c.message)).toEqual(c.frame);
    expect(decodeHubMessage(c.frame)).toEqual(c.message);
  });
  it.each(pairs(v.invalid, (c) => `${c.side}: ${c.name}`))('refuses %s', (_n, c: Json) => {
    const decode = c.side === 'hub' ? decodeHubMessage : decodeClientMessage;
    let refused: unknown;
    try {
      decode(c.frame);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(FrameError);
    expect((refused as FrameError).code).toBe(c.code);
    // The id a hub's reject echoes (protocol.md 7.3): hubs read client frames.
    if (c.side === 'client') expect((refused as FrameError).requestId).toBe(c.requestId);
  });
  it.each(pairs(v.encodings, (c) => hex(c.bytes)))('encodes one value as %s and reads it back', (_n, c: Json) => {
    expect(writeCanonical(c.value)).toEqual(c.bytes);
    const back = readCanonical(c.bytes, 'vectors');
    // A uint 64 above 2^53-1 reads as a bigint, below as a number.
    expect(back).toEqual(
      typeof c.value === 'bigint' && c.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(c.value) : c.value,
    );
  });
});

describe('vectors: settlement', () => {
  const v = load('settlement.json');
  it('computes fees and the split', () => {
    for (const f of v.fees) expect(feeOf(f.gross, f.feePpm)).toBe(f.fee);
    const s = v.settlement;
    expect(settle(s.deposit, s.entries, s.feePpm)).toEqual(s.result);
  });
});
