/**
 * A 413 on Node ends the connection. The body limit answers before the body is read; @hono/node-server
 * then drains what is left for a short while and, if the client is still sending, destroys the socket.
 * Answered with `Connection: keep-alive`, the client's pool would hand that dying socket to its next
 * request, which is lost. `Connection: close` tells both sides not to reuse it.
 */
import type { Http2Bindings, HttpBindings } from '@hono/node-server';

type Fetch = (request: Request, env: HttpBindings | Http2Bindings) => Response | Promise<Response>;

/** Wraps the app's fetch so every 413 is sent with `Connection: close` (Node closes the socket after it). */
export function closeAfterRefusedBody(fetch: Fetch): Fetch {
  return async (request, env) => {
    const response = await fetch(request, env);
    // On the outgoing message rather than the Response: Node merges it into whatever headers the
    // adapter writes, and it is what makes Node's server end the connection after the response.
    // (HTTP/2 has no Connection header: a refused stream does not end its connection.)
    if (response.status === 413 && env.incoming.httpVersionMajor === 1) env.outgoing.setHeader('Connection', 'close');
    return response;
  };
}
