/** The spending policy: defined with the wallet's machine in `@trickle/protocol`, exported here too. */
export { checkPolicy, type SpendingPolicy } from '@trickle/protocol';
