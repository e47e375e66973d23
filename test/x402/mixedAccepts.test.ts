/**
 * One route that accepts both x402's on-chain `exact` scheme (from the unmodified
 * `@x402/evm`, with x402's own in-process facilitator) and `trickle`, in one `accepts`
 * list. Configuration only: no chain is reachable, so the `exact` side is checked for what
 * it offers, and a client that speaks only Trickle pays the same route through the hub.
 */

import { toHex } from '@trickle/protocol';
import { TrickleFacilitatorClient, TrickleServerScheme } from '@trickle/x402';
import { x402Facilitator } from '@x402/core/facilitator';
import { decodePaymentRequiredHeader, decodePaymentResponseHeader } from '@x402/core/http';
import { type FacilitatorClient, type RoutesConfig, x402ResourceServer } from '@x402/core/server';
import type { Network, SupportedResponse } from '@x402/core/types';
import { toFacilitatorEvmSigner } from '@x402/evm';
import { ExactEvmScheme as ExactEvmFacilitatorScheme } from '@x402/evm/exact/facilitator';
import { ExactEvmScheme as ExactEvmServerScheme } from '@x402/evm/exact/server';
import { paymentMiddleware } from '@x402/express';
import { wrapFetchWithPayment } from '@x402/fetch';
import express from 'express';
import { createWalletClient, http, publicActions } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { baseSepolia } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listening, type RunningServer, startTrickleHub, type TrickleHub, trickleNetwork } from './setup.js';

const baseSepoliaNetwork: Network = 'eip155:84532';
/** USDC on Base Sepolia, the default asset x402's `exact` picks for a `$` price there. */
const usdcBaseSepolia = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';
const evmPayTo = '0x1111111111111111111111111111111111111111';

describe('a route accepting exact (EVM) and trickle together', () => {
  let trickle: TrickleHub;
  let running: RunningServer;
  let served = 0;

  beforeAll(async () => {
    trickle = await startTrickleHub();
    const { merchant } = await trickle.merchant();
    // x402's own facilitator for `exact`, in process, with a signer whose RPC is nowhere:
    // nothing here may touch a chain.
    const account = privateKeyToAccount(`0x${'11'.repeat(32)}`);
    const viemClient = createWalletClient({
      account,
      chain: baseSepolia,
      transport: http('http://127.0.0.1:9/no-chain'),
    }).extend(publicActions);
    const evmFacilitator = new x402Facilitator().register(
      baseSepoliaNetwork,
      new ExactEvmFacilitatorScheme(toFacilitatorEvmSigner({ ...viemClient, address: account.address } as never)),
    );
    // x402Facilitator answers getSupported synchronously; a FacilitatorClient answers a promise.
    const evmFacilitatorClient: FacilitatorClient = {
      verify: (payload, requirements) => evmFacilitator.verify(payload, requirements),
      settle: (payload, requirements) => evmFacilitator.settle(payload, requirements),
      getSupported: async () => evmFacilitator.getSupported() as SupportedResponse,
    };
    const server = new x402ResourceServer([evmFacilitatorClient, new TrickleFacilitatorClient(merchant)])
      .register(baseSepoliaNetwork, new ExactEvmServerScheme())
      .register(trickleNetwork, new TrickleServerScheme(merchant));
    const routes: RoutesConfig = {
      'GET /report': {
        accepts: [
          { scheme: 'exact', network: baseSepoliaNetwork, price: '$0.001', payTo: evmPayTo },
          { scheme: 'trickle', network: trickleNetwork, price: '$0.001', payTo: toHex(merchant.payee) },
        ],
        description: 'A report, paid on chain or through a channel',
      },
    };
    const app = express();
    app.use(paymentMiddleware(routes, server));
    app.get('/report', (_req, res) => {
      served++;
      res.json({ report: 'ok' });
    });
    running = await listening(app.listen(0, '127.0.0.1'));
  });
  afterAll(async () => {
    await running?.close();
    await trickle?.close();
  });

  it('offers both schemes in one accepts list', async () => {
    const response = await fetch(`${running.baseUrl}/report`);
    expect(response.status).toBe(402);
    const required = decodePaymentRequiredHeader(response.headers.get('PAYMENT-REQUIRED') as string);
    expect(required.accepts.map((entry) => `${entry.scheme} ${entry.network}`)).toEqual([
      `exact ${baseSepoliaNetwork}`,
      `trickle ${trickleNetwork}`,
    ]);
    const [exact, trickleEntry] = required.accepts;
    expect(exact).toMatchObject({ asset: usdcBaseSepolia, amount: '1000', payTo: evmPayTo });
    expect(trickleEntry).toMatchObject({ asset: 'USD', amount: '1000', extra: { resource: 'GET /report' } });
    expect(served).toBe(0);
  });

  it('is paid through the hub by a client that speaks only trickle', async () => {
    const { client } = await trickle.wallet('mixed payer', 100_000n);
    const response = await wrapFetchWithPayment(fetch, client)(`${running.baseUrl}/report`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ report: 'ok' });
    expect(decodePaymentResponseHeader(response.headers.get('PAYMENT-RESPONSE') as string)).toMatchObject({
      success: true,
      network: trickleNetwork,
      amount: '1000',
    });
    expect(served).toBe(1);
  });
});
