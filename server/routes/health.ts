import type { RouteHandler } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';

/** `GET /healthz`: liveness — the process answers HTTP → `200 {status: 'ok'}`. */
export function livenessRoute(): RouteHandler {
  return ({ response }) => sendJson(response, 200, { status: 'ok' });
}

/**
 * `GET /readyz`: readiness — whether a load balancer should send traffic here.
 * `200 {ready: true}` once the site is loaded; `503 {ready: false, reason}`
 * before that, while draining for a shutdown, and while a shared backend
 * (Redis, PostgreSQL) is unreachable, so new traffic goes to other instances.
 * It turns ready again by itself once the backend is back.
 */
export function readinessRoute(notReadyReason: () => string | undefined): RouteHandler {
  return ({ response }) => {
    const reason = notReadyReason();
    sendJson(response, reason === undefined ? 200 : 503, reason === undefined ? { ready: true } : { ready: false, reason });
  };
}
