/**
 * Request facts: the little the paywall needs to know about an HTTP request, whatever the
 * framework. Adapters build them; tests and other servers can build them by hand.
 */

/** What the paywall reads from a request. */
export interface RequestFacts {
  /** The method, upper-case (`GET`, `POST`, ...). */
  readonly method: string;
  /** The absolute URL as the client addressed it (its path names the resource by default). */
  readonly url: URL;
  /**
   * The path of the request-target exactly as the server received it, for servers that
   * route on it (`node:http`, Express, Fastify). URL parsing resolves dot segments and
   * backslashes (`/cheap/%2e%2e/dear` becomes `/dear`), so `url.pathname` can name another
   * route than the one that priced the request; when this is set, the default resource
   * name and the entitlement cookie's `Path` use it instead. Default: `url.pathname`.
   */
  readonly path?: string;
  /** One header's value by case-insensitive name; repeated headers joined (`Cookie` with `; `, others with `, `). */
  header(name: string): string | undefined;
}

/**
 * Request facts from plain values.
 *
 * @example
 * ```ts
 * import { createRequestFacts } from '@trickle/merchant';
 * const facts = createRequestFacts('GET', 'https://news.example/articles/42', { 'payment-signature': undefined });
 * facts.header('PAYMENT-SIGNATURE'); // undefined
 * ```
 */
export function createRequestFacts(
  method: string,
  url: string | URL,
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
): RequestFacts {
  if (typeof method !== 'string' || !/^[A-Za-z]{1,16}$/.test(method))
    throw new TypeError('method: expected an HTTP method');
  const lowerCased = new Map<string, string | readonly string[] | undefined>();
  for (const [name, value] of Object.entries(headers)) lowerCased.set(name.toLowerCase(), value);
  return {
    method: method.toUpperCase(),
    url: typeof url === 'string' ? new URL(url) : url,
    header: (name) => joinHeader(name, lowerCased.get(name.toLowerCase())),
  };
}

/**
 * One header value from Node-style headers, where a repeated header is an array: `Cookie`
 * values are joined with `; `, others with `, ` (RFC 9110 list syntax).
 *
 * @example
 * ```ts
 * import { joinHeader } from '@trickle/merchant';
 * joinHeader('cookie', ['a=1', 'b=2']); // 'a=1; b=2'
 * ```
 */
export function joinHeader(name: string, value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (value.length === 0) return undefined;
  return value.join(name.toLowerCase() === 'cookie' ? '; ' : ', ');
}

/**
 * The path of a request-target as received: up to `?` or `#`, with a `/` put in front when
 * missing (as {@link requestUrl} does), and nothing resolved or decoded, so that it is the
 * path the server routed.
 *
 * @example
 * ```ts
 * import { requestPath } from '@trickle/merchant';
 * requestPath('/blog/%2e%2e/reports/1?x=1'); // '/blog/%2e%2e/reports/1'
 * ```
 */
export function requestPath(target: string): string {
  const path = target.startsWith('/') ? target : `/${target}`;
  const end = path.search(/[?#]/);
  return end === -1 ? path : path.slice(0, end);
}

/**
 * The absolute URL of a request from its request-target and `Host`, for servers that see
 * only those (`node:http`): `publicUrl` wins when set; a missing or malformed `Host` falls
 * back to `http://localhost`. Used only to describe the resource in offers and to scope
 * cookies; the resource id comes from the path, never from the host.
 *
 * @example
 * ```ts
 * import { requestUrl } from '@trickle/merchant';
 * requestUrl('/articles/42?x=1', 'news.example', 'https').href; // 'https://news.example/articles/42?x=1'
 * ```
 */
export function requestUrl(
  target: string,
  host: string | undefined,
  protocol: 'http' | 'https',
  publicUrl?: string,
): URL {
  // Concatenate, never resolve: a target like `//other.host/x` must stay a path.
  const path = target.startsWith('/') ? target : `/${target}`;
  if (publicUrl !== undefined) return new URL(`${new URL(publicUrl).origin}${path}`);
  if (host !== undefined && /^[A-Za-z0-9.:[\]-]{1,255}$/.test(host)) {
    try {
      return new URL(`${protocol}://${host}${path}`);
    } catch {
      // A Host that does not parse falls through to localhost.
    }
  }
  return new URL(`http://localhost${path}`);
}
