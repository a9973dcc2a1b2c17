import { type RouteHandler } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';

/** `GET /healthz`: liveness — the process answers HTTP → `200 {status: 'ok'}`. */
export function livenessRoute(): RouteHandler {
  return ({ response }) => sendJson(response, 200, { status: 'ok' });
}

/**
 * `GET /readyz`: readiness — whether a load balancer should send traffic here.
 * `200 {ready: true}` once the site is loaded; `503 {ready: false}` before that
 * and while draining for a shutdown, so new traffic goes to other instances.
 */
export function readinessRoute(isReady: () => boolean): RouteHandler {
  return ({ response }) => {
    const ready = isReady();
    sendJson(response, ready ? 200 : 503, { ready });
  };
}
