/**
 * `/api/v1/metrics`: Prometheus text format (names and meaning in server/metrics/metrics.ts, who may read it in
 * server/http/middleware/metrics-access.ts). When the stream cannot be read the scrape answers 503: Prometheus then marks the
 * target down, which is truer than gauges at zero.
 */
import { Hono } from "hono";
import type { Services } from "../../services.ts";
import { apiError } from "../middleware/errors.ts";
import { metricsAccess } from "../middleware/metrics-access.ts";

export function metricsRoutes(services: Services) {
  return new Hono().get("/", metricsAccess({ token: services.config.METRICS_TOKEN }), async (c) => {
    let rendered: { contentType: string; body: string };
    try {
      rendered = await services.metrics.render();
    } catch (error) {
      services.logger.warn("cannot read the pipeline for /api/v1/metrics", { error });
      throw apiError(503, "The event stream cannot be read right now; see /api/v1/health/ready.");
    }
    return c.body(rendered.body, 200, { "content-type": rendered.contentType, "cache-control": "no-store" });
  });
}
