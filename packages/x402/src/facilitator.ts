/**
 * x402's `FacilitatorClient` for scheme `trickle`, run inside the merchant's own process:
 * `verify` checks the hub's receipt offline with the merchant's MAC key (the merchant
 * package's `checkPayment`), `settle` redeems the invoice once in the merchant's invoice
 * store. No chain, no network call: the hub already holds the payer's signed voucher and
 * pays the merchant on the ledger when the channel settles.
 */
import { checkResourceName, type Merchant, type PaymentCheck } from '@trickle/merchant';
import { toHex, trickleScheme, x402Version } from '@trickle/protocol';
import type { FacilitatorClient } from '@x402/core/server';
import type {
  Network,
  PaymentPayload,
  PaymentRequirements,
  SettleResponse,
  SupportedResponse,
  VerifyResponse,
} from '@x402/core/types';
import { tricklePayloadOf } from './wire.js';

/**
 * The facilitator of scheme `trickle` for one merchant. `getSupported` names one kind:
 * `trickle` on `merchant.network`, with the hub's id and URL in its `extra`.
 *
 * A refusal is an answer, never a throw: `verify` says `isValid: false` and `settle`
 * `success: false`, with one of Trickle's refusal codes (`paymentRefusalCodes`: e.g.
 * `RECEIPT_INVALID`, `WRONG_RESOURCE`, `INVOICE_USED` for a replayed payment) as the reason.
 * Only the invoice store's own failure (`MerchantError`) rejects, leaving the invoice unused.
 *
 * @example
 * ```ts
 * import { x402ResourceServer } from '@x402/core/server';
 * import type { Merchant } from '@trickle/merchant';
 * import { TrickleFacilitatorClient } from '@trickle/x402';
 * declare const merchant: Merchant;
 * // With x402's own facilitator for its on-chain schemes, if any:
 * const server = new x402ResourceServer([new TrickleFacilitatorClient(merchant)]);
 * ```
 */
export class TrickleFacilitatorClient implements FacilitatorClient {
  readonly #merchant: Merchant;
  readonly #network: Network;

  constructor(merchant: Merchant) {
    this.#merchant = merchant;
    this.#network = merchant.network as Network;
  }

  /** Checks a payment offline: its tokens, MACs, resource, expiry and amount against `requirements`. */
  async verify(paymentPayload: PaymentPayload, paymentRequirements: PaymentRequirements): Promise<VerifyResponse> {
    const check = this.#check(paymentPayload, paymentRequirements);
    if (!check.ok) return { isValid: false, invalidReason: check.reason, invalidMessage: check.details };
    return { isValid: true, payer: toHex(check.payment.receipt.channelId) };
  }

  /**
   * Checks the payment again (a settle stands on its own) and redeems its invoice, atomically
   * and once: the second settle of one payment is `INVOICE_USED`. `transaction` is the
   * invoice id, `payer` the paying channel id.
   */
  async settle(paymentPayload: PaymentPayload, paymentRequirements: PaymentRequirements): Promise<SettleResponse> {
    const check = this.#check(paymentPayload, paymentRequirements);
    const redeemed = check.ok ? await this.#merchant.redeemPayment(check.payment) : check;
    if (!redeemed.ok) {
      return {
        success: false,
        errorReason: redeemed.reason,
        errorMessage: redeemed.details,
        transaction: '',
        network: this.#network,
      };
    }
    const { request, receipt } = redeemed.payment;
    return {
      success: true,
      transaction: toHex(request.invoiceId),
      network: this.#network,
      payer: toHex(receipt.channelId),
      amount: request.amount.toString(),
    };
  }

  /** One kind: scheme `trickle` on the merchant's network; no signers (nothing on chain). */
  async getSupported(): Promise<SupportedResponse> {
    return {
      kinds: [
        {
          x402Version,
          scheme: trickleScheme,
          network: this.#network,
          extra: { hubId: toHex(this.#merchant.hubId), hubUrl: this.#merchant.hubUrl },
        },
      ],
      extensions: [],
      signers: {},
    };
  }

  #check(paymentPayload: PaymentPayload, requirements: PaymentRequirements): PaymentCheck {
    if (requirements.scheme !== trickleScheme || requirements.network !== this.#network) {
      return refusal('UNSUPPORTED_SCHEME', `requirements are for ${requirements.scheme} on ${requirements.network}`);
    }
    if (paymentPayload.x402Version !== x402Version) {
      return refusal('UNSUPPORTED_SCHEME', `x402 version ${String(paymentPayload.x402Version)}`);
    }
    // The server's own entry: its resource and amount are what this request costs now.
    let resource: string;
    try {
      resource = checkResourceName(requirements.extra?.resource);
    } catch (error) {
      return refusal('REQUEST_INVALID', `requirements carry no resource: ${(error as Error).message}`);
    }
    if (typeof requirements.amount !== 'string' || !/^[1-9][0-9]{0,18}$/.test(requirements.amount)) {
      return refusal('REQUEST_INVALID', 'requirements carry no payable amount');
    }
    const { accepted, payload } = paymentPayload as Partial<PaymentPayload>;
    if (typeof accepted !== 'object' || accepted === null || typeof payload !== 'object' || payload === null) {
      return refusal('MALFORMED_PAYMENT', 'payment has no accepted entry or no payload');
    }
    if (typeof payload.paymentRequest !== 'string' || typeof payload.receipt !== 'string') {
      return refusal('MALFORMED_PAYMENT', 'payload: expected the paymentRequest and receipt tokens');
    }
    return this.#merchant.checkPayment(tricklePayloadOf(paymentPayload), {
      resource,
      amount: BigInt(requirements.amount),
    });
  }
}

function refusal(
  reason: 'UNSUPPORTED_SCHEME' | 'REQUEST_INVALID' | 'MALFORMED_PAYMENT',
  details: string,
): PaymentCheck {
  return { ok: false, reason, details };
}
