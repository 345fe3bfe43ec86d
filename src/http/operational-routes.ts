import { Router } from "express";

/** Liveness, readiness and the public keys: the routes beside GraphQL. */
export function operationalRoutes(deps: { checkReady: () => Promise<void>; jwks: unknown }): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    try {
      await deps.checkReady();
      res.json({ status: "ready" });
    } catch {
      // Probes come every few seconds; the store and Redis each say once when they go and come back.
      res.status(503).json({ status: "unavailable" });
    }
  });
  router.get("/.well-known/jwks.json", (_req, res) => {
    // Resource servers cache this; a rotated-in key shows within the hour.
    res.set("Cache-Control", "public, max-age=3600").json(deps.jwks);
  });
  return router;
}
