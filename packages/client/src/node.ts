/**
 * `@trickle/client/node`: the Node-only pieces of the wallet: the `ws` transport and the
 * file store. Everything else is in `@trickle/client`.
 *
 * @packageDocumentation
 */
export { type FileStoreOptions, fileStore, journalBytesMax } from './store/fileStore.js';
export { type WsTransportOptions, wsTransport } from './transport/wsTransport.js';
