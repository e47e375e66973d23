/** The wallet's own errors: defined with the wallet's machine in `@trickle/protocol`, exported here too. */
export { PolicyError, type PolicyErrorCode, WalletError, type WalletErrorCode } from '@trickle/protocol';
