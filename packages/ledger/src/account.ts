/**
 * Accounts: one per owner and asset. Every account is credit-normal: its balance is
 * credits posted minus debits posted, and money reserved by pending debits is not
 * available. A balance never goes below zero unless the account was created with
 * `allowNegative` (only the external accounts where money enters and leaves are).
 */
import type { Asset } from '@trickle/protocol';

/**
 * The kinds of account, closed list.
 *
 * @example
 * ```ts
 * import { accountKinds } from '@trickle/ledger';
 * accountKinds.includes('escrow'); // true
 * ```
 */
export const accountKinds = ['payer', 'escrow', 'payee', 'fee', 'external'] as const;

/**
 * What an account is for: a payer's prepaid funds, one channel's escrow, a payee's
 * (merchant's or wallet's) receivable, the hub's fees, or the outside world.
 *
 * @example
 * ```ts
 * import type { AccountKind } from '@trickle/ledger';
 * const kind: AccountKind = 'payee';
 * ```
 */
export type AccountKind = (typeof accountKinds)[number];

/**
 * What `createAccounts` takes. Ids are caller-chosen: 1-128 of `A-Z a-z 0-9 : / _ . -`.
 *
 * @example
 * ```ts
 * import type { AccountInput } from '@trickle/ledger';
 * const input: AccountInput = { id: 'payee:shop:USD:6', asset: { code: 'USD', scale: 6 }, kind: 'payee' };
 * ```
 */
export interface AccountInput {
  readonly id: string;
  readonly asset: Asset;
  readonly kind: AccountKind;
  /** Let the balance go below zero (external accounts). Default `false`. */
  readonly allowNegative?: boolean;
}

/**
 * An account as stored, with its four running sums (each 0..2^63-1).
 *
 * @example
 * ```ts
 * import type { Account } from '@trickle/ledger';
 * declare const account: Account;
 * const spendable = account.available; // balance minus pending debits
 * ```
 */
export interface Account {
  readonly id: string;
  readonly asset: Asset;
  readonly kind: AccountKind;
  readonly allowNegative: boolean;
  readonly debitsPending: bigint;
  readonly debitsPosted: bigint;
  readonly creditsPending: bigint;
  readonly creditsPosted: bigint;
  /** creditsPosted - debitsPosted (negative only when `allowNegative`). */
  readonly balance: bigint;
  /** balance - debitsPending: what a new debit may take. */
  readonly available: bigint;
  readonly createdAtMs: number;
}

/**
 * The outcome of one account of a `createAccounts` batch, by index.
 *
 * @example
 * ```ts
 * import type { AccountResult } from '@trickle/ledger';
 * declare const result: AccountResult;
 * if (result.status === 'failed') console.log(result.index, result.code);
 * ```
 */
export type AccountResult =
  | { readonly index: number; readonly id: string; readonly status: 'created' | 'exists' }
  | {
      readonly index: number;
      readonly id: string;
      readonly status: 'failed';
      readonly code: 'EXISTS_WITH_DIFFERENT_FIELDS';
    };
