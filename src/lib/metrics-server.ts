import type { Metrics } from "./metrics.ts";

/** /metrics on a port of its own: reachable by whoever can reach that port, so never the public one. */
export function serveMetrics(metrics: Metrics, port: number) {
  return Bun.serve({
    port,
    fetch: async (request) =>
      new URL(request.url).pathname === "/metrics"
        ? new Response(await metrics.registry.metrics(), { headers: { "content-type": metrics.registry.contentType } })
        : new Response("not found", { status: 404 }),
  });
}
