/**
 * A small API priced per call with Fastify: a deterministic "geocoder" at $0.0001 a
 * lookup, and a route whose price is computed from the request (a batch of lookups).
 */
import type { Merchant } from '@trickle/merchant';
import { fastifyPaywall } from '@trickle/merchant/fastify';
import { formatAmount, parseAmount } from '@trickle/protocol';
import Fastify, { type FastifyInstance } from 'fastify';

/** Where a place is: a made-up but stable answer, so the example needs no data set. */
function locate(place: string): { place: string; lat: number; lon: number } {
  let hash = 2166136261;
  for (const char of place.toLowerCase()) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
  const lat = ((hash >>> 0) % 180_000) / 1000 - 90;
  const lon = ((Math.imul(hash, 2654435761) >>> 0) % 360_000) / 1000 - 180;
  return { place, lat, lon };
}

/** The price of one `GET /v1/locate` call, in USD. */
export const callPrice = '0.0001';

/** The price of each place in a `GET /v1/locate-batch` call, in USD. */
export const batchPlacePrice = '0.00008';

/** Most places in one batch call. */
export const batchPlacesMax = 50;

/**
 * The API: `GET /v1/locate?place=...` costs 0.0001 USD per call; `GET /v1/locate-batch?places=a,b,c`
 * costs 0.00008 USD per place. Per-call routes issue no entitlements: every call pays.
 */
export async function createApi(merchant: Merchant): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get(
    '/v1/locate',
    { preHandler: fastifyPaywall(merchant, { price: callPrice, entitlement: false, description: 'One lookup' }) },
    async (request) => locate(String((request.query as { place?: string }).place ?? '')),
  );
  app.get(
    '/v1/locate-batch',
    {
      preHandler: fastifyPaywall(merchant, {
        // A computed price: 80 micro-dollars per place, refused above the batch limit.
        price: (facts) => {
          const count = (facts.url.searchParams.get('places') ?? '').split(',').filter(Boolean).length;
          return count === 0 || count > batchPlacesMax
            ? null
            : formatAmount(BigInt(count) * parseAmount(batchPlacePrice, merchant.asset), merchant.asset);
        },
        entitlement: false,
        description: 'A batch of lookups, priced per place',
      }),
    },
    async (request, reply) => {
      const places = String((request.query as { places?: string }).places ?? '')
        .split(',')
        .filter(Boolean);
      if (places.length === 0 || places.length > batchPlacesMax)
        return reply.code(400).send({ error: `1-${batchPlacesMax} places` });
      return places.map(locate);
    },
  );
  return app;
}
