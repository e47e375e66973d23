/** Lengths of the tokens the HTTP wire carries (a leaf: the parsers and the entitlement code both use them). */
import { byteSizes } from '../ids.js';
import { paymentRequestBytesLength } from '../paymentRequest.js';
import { receiptBytesLength } from '../receipt.js';

/** Length of a payment request token: unpadded base64url of its bytes then its MAC. */
export const paymentRequestTokenChars = Math.ceil(((paymentRequestBytesLength + byteSizes.mac) * 4) / 3);
/** Length of a receipt token: unpadded base64url of its bytes then its MAC. */
export const receiptTokenChars = Math.ceil(((receiptBytesLength + byteSizes.mac) * 4) / 3);
