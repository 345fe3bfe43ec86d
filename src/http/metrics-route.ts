import { Router } from "express";
import type { Metrics } from "../metrics/metrics.js";

/**
 * GET /metrics in Prometheus text format. Mounted only when metrics are on (METRICS_ENABLED), so
 * otherwise the path answers 404 like any unknown one. It is not authenticated: serve it to the
 * scraper only (a private port or network policy), as docs/deployment.md says.
 */
export function metricsRoute(metrics: Metrics): Router {
  const router = Router();
  router.get("/metrics", async (_req, res, next) => {
    try {
      const { contentType, body } = await metrics.exposition();
      res.type(contentType).send(body);
    } catch (error) {
      next(error);
    }
  });
  return router;
}
