/**
 * The Cache API's outbound for self-hosted fedge: workerd throws "No Cache was configured" on
 * `caches.default` without one. Every lookup misses and every store is dropped, so the weights
 * route reads R2 (here a local directory) each time, as it does on a cache miss deployed.
 */
export default {
  async fetch(request: Request): Promise<Response> {
    switch (request.method) {
      case "GET":
        return new Response(null, { status: 504, headers: { "cf-cache-status": "MISS" } });
      case "PUT":
        await request.body?.cancel();
        return new Response(null, { status: 204 });
      case "PURGE":
        return new Response(null, { status: 404 });
      default:
        return new Response(null, { status: 405 });
    }
  },
};
