/**
 * `@trickle/client/node`: the Node-only pieces of the wallet: the `ws` transport, the
 * file store and the libsecp256k1 signer. Everything else is in `@trickle/client`.
 *
 * @packageDocumentation
 */

export { type Libsecp256k1SignerOptions, libsecp256k1Signer } from './signer/libsecp256k1Signer.js';
export { type FileStoreOptions, fileStore, journalBytesMax } from './store/fileStore.js';
export { type WsTransportOptions, wsTransport } from './transport/wsTransport.js';
