import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { isValidChannel } from '../src/protocol/channel.ts';
import { apiRoutes } from '../src/protocol/api-routes.ts';
import { WS_PATH } from '../src/protocol/websocket.ts';
import { SSE_DEFAULTS, SSE_LIMITS } from '../src/protocol/sse.ts';
import { BuildSimulation, type BuildSimulationLimits } from './builds/build-simulation.ts';
import { ChannelAccess } from './channels/channel-access.ts';
import type { ServerConfig } from './config.ts';
import { InMemoryEventBus, type EventBus } from './events/event-bus.ts';
import { RedisEventBus } from './events/redis-event-bus.ts';
import { LocalChannelFaults, type ChannelFaults } from './faults/channel-faults.ts';
import { RedisChannelFaults } from './faults/redis-channel-faults.ts';
import { loadAstroSite, type AstroSite } from './http/astro-site.ts';
import { clientErrorAnswerer } from './http/client-errors.ts';
import { trackConnections } from './http/connection-tracker.ts';
import { allowCrossOriginRead, allowsCrossOrigin, answeredPreflight } from './http/cors.ts';
import { createHostCheck } from './http/host-check.ts';
import { HttpProblem } from './http/problem.ts';
import { parseRequestUrl } from './http/request-url.ts';
import { decodesAsPath, isApiPath, misdirected } from './http/request-checks.ts';
import { answerError } from './http/answer-error.ts';
import { expectResponses } from './http/response-contract.ts';
import { Router } from './http/router.ts';
import { setApiSecurityHeaders } from './http/security-headers.ts';
import { SERVER_TIMEOUTS, type ServerTimeouts } from './http/server-timeouts.ts';
import { createSiteFiles } from './http/site-files.ts';
import { JobSimulation, type JobSimulationLimits } from './jobs/job-simulation.ts';
import { RATE_LIMITS, type RateLimit, type RateLimitName } from '../src/protocol/rate-limits.ts';
import { RequestLimits } from './limits/request-limits.ts';
import { isInternalRequest } from './limits/internal-requests.ts';
import { createRouteLimits } from './limits/route-limits.ts';
import { RedisJobStore } from './jobs/redis-job-store.ts';
import { SharedJobs } from './jobs/shared-jobs.ts';
import { LabRegistry } from './lab/lab-registry.ts';
import { registerLabRoutes } from './lab/lab-routes.ts';
import { attachTrafficMeter } from './lab/traffic-meter.ts';
import { consoleLogger, type Logger } from './logger.ts';
import { giveLearnerCookieWithPage } from './progress/learner-cookie.ts';
import { connectRedis } from './redis/redis-connection.ts';
import { createProduction, type ProductionSettings } from './experiments/production-routes.ts';
import { createExercises, type ExerciseSettings } from './exercises/exercises.ts';
import { readKnownLessons } from './progress/known-lessons.ts';
import { startBuildRoute } from './routes/builds.ts';
import { publishEventRoute } from './routes/channel-events.ts';
import { exerciseSandboxRoute } from './routes/exercise-sandbox.ts';
import { injectFaultRoute } from './routes/faults.ts';
import { livenessRoute, readinessRoute } from './routes/health.ts';
import { startJobRoute } from './routes/jobs.ts';
import { createProgressRoutes } from './routes/progress.ts';
import { registerWorkshopRoutes } from './routes/workshops.ts';
import { openStores } from './open-stores.ts';
import { channelLatestRoute } from './techniques/channel-latest.ts';
import { createLongPolling } from './techniques/long-polling.ts';
import { getJobRoute } from './techniques/short-polling.ts';
import { createScaling, type ScalingSettings } from './scaling/scaling-routes.ts';
import { SCALING_EXERCISE } from '../src/protocol/scaling.ts';
import { sseRoute, type SseSettings } from './techniques/sse.ts';
import { SseStreamRegistry } from './techniques/sse-streams.ts';
import { createWebSocketEndpoint } from './techniques/websocket.ts';
import { rejectUpgrade } from './websocket/reject-upgrade.ts';
import { WorkshopHub } from './workshops/workshop-hub.ts';
import type { WorkshopTimings } from './workshops/workshop-timings.ts';
import type { WorkbookApp } from './workbook-app.ts';

/** Collaborators of {@link createApp}; tests replace them. */
export interface AppOptions {
  logger?: Logger;
  bus?: EventBus;
  /** Overrides of the job timings and bounds, e.g. a long `queuedMs` so a test's job holds still. */
  jobLimits?: Partial<JobSimulationLimits>;
  /** Overrides of the build bounds, e.g. `maxRunning: 1`. */
  buildLimits?: Partial<BuildSimulationLimits>;
  /** Overrides of the SSE timings (`retryMs`, `maxBufferedBytes`; `heartbeatMs` defaults to `config.sseHeartbeatMs`). */
  sse?: Partial<SseSettings>;
  /** Overrides of lesson 7's experiments (storm, slow consumer and drain timings, jitter). */
  production?: ProductionSettings;
  /** Overrides of the workshops' timings (`presenceTtlMs`, `streamGraceMs`, `sweepMs`, `unloadAfterMs`). */
  workshops?: Partial<WorkshopTimings>;
  /** Overrides of lesson 8's two-instance demo (limits, and `redisServer: null` to act as if Redis were not installed). */
  scaling?: ScalingSettings;
  /** Overrides of the exercise runs (a shorter job for lesson 2's, fewer runs). */
  exercises?: ExerciseSettings;
  /** Overrides of the HTTP server's timeouts (tests shorten them). */
  timeouts?: Partial<ServerTimeouts>;
  /** Overrides of the rate limits (`src/protocol/rate-limits.ts`), e.g. a small burst so a test reaches it. */
  rateLimits?: Partial<Record<RateLimitName, RateLimit>>;
}

/**
 * Builds the companion server: the API (`/api/…`, `/healthz`, `/readyz`) and,
 * unless `config.apiOnly`, the built Astro site (static files first, then the
 * Astro renderer for on-demand pages and the 404 page). It does not listen.
 */
export function createApp(config: ServerConfig, options: AppOptions = {}): WorkbookApp {
  const logger = options.logger ?? consoleLogger;
  // With REDIS_URL, instances share one log and one fan-out (lesson 8); without, all of it lives here.
  const redis = config.redisUrl === undefined ? undefined : connectRedis(config.redisUrl, config.redisPrefix, logger);
  const bus =
    options.bus ??
    (redis
      ? new RedisEventBus({ redis, logger })
      : new InMemoryEventBus({
          onListenerError: (error, event) => logger.error(`A listener failed on event ${event.id} (${event.type}):`, error),
        }));
  // With Redis, each job's state is kept there, so a poll on any instance finds it (lesson 8).
  const jobStore = redis ? new RedisJobStore(redis, { retainMs: options.jobLimits?.retainMs }) : undefined;
  const jobs = new JobSimulation({
    bus,
    store: jobStore,
    limits: options.jobLimits,
    onError: (error) => logger.error('Could not publish a job change:', error),
  });
  const sharedJobs = jobStore
    ? new SharedJobs({ simulation: jobs, store: jobStore, onError: (error) => logger.error('A job could not be taken over:', error) })
    : undefined;
  const builds = new BuildSimulation({
    bus,
    limits: options.buildLimits,
    onError: (error) => logger.error('Could not publish a build event:', error),
  });
  const drainController = new AbortController();
  // Who owns which channel: breaking, draining or stopping one needs its owner (docs/security.md).
  const channelAccess = new ChannelAccess();
  const labs = new LabRegistry({ bus, onError: (error) => logger.error('A lab could not publish:', error) });
  const sseStreams = new SseStreamRegistry();
  // With Redis, a fault armed through any instance acts on the channel's connections on all of them.
  const localFaults = new LocalChannelFaults(sseStreams);
  const faults: ChannelFaults = redis ? new RedisChannelFaults({ redis, local: localFaults, logger }) : localFaults;
  const longPolling = createLongPolling({ bus, faults, draining: drainController.signal });
  const webSocket = createWebSocketEndpoint({
    bus,
    logger,
    heartbeatMs: config.wsHeartbeatMs,
    allowedOrigins: config.allowedOrigins,
    draining: drainController.signal,
    // With Redis, the chat is shared by every instance too.
    redis,
    presenceTtlMs: config.presenceTtlMs,
    onSubscribe: (channel, cookie) => channelAccess.touch(channel, { headers: { cookie } }),
  });
  const production = createProduction({
    bus,
    logger,
    sseStreams,
    webSocket,
    longPolling,
    // With Redis, a channel drain reaches the channel's clients on every instance.
    redis,
    draining: drainController.signal,
    access: channelAccess,
    // Lesson 7's exercise is verified from the storms the server ran (`exercises` is made below, before any storm).
    onStormDone: (learnerId, done) => exercises.stormDone(learnerId, done),
    sseCapBytes: options.sse?.maxBufferedBytes === undefined ? undefined : { sse: options.sse.maxBufferedBytes },
    settings: options.production,
  });
  // Lesson 8: pairs of real instances of this server, on this server's Redis if it has one.
  const scaling = createScaling({
    redisUrl: config.redisUrl,
    redisPrefix: config.redisPrefix,
    logger,
    draining: drainController.signal,
    access: channelAccess,
    settings: options.scaling,
    onExercisePassed: (learnerId) => exercises.recordPass(learnerId, SCALING_EXERCISE.lesson, SCALING_EXERCISE.id),
  });
  let siteLoaded = false;
  // Progress and workshops: PostgreSQL with DATABASE_URL (shared by instances), else SQLite in DATA_DIR,
  // opened now so a bad DATA_DIR stops the server at start. ready() waits for PostgreSQL and its migrations.
  const stores = openStores(config, {
    onError: (error) => logger.error('The database reported a problem:', error),
  });
  const knownLessons = readKnownLessons();
  const sseSettings: SseSettings = {
    retryMs: SSE_DEFAULTS.retryMs,
    maxBufferedBytes: SSE_LIMITS.maxBufferedBytes,
    heartbeatMs: config.sseHeartbeatMs,
    ...options.sse,
  };
  const workshops = new WorkshopHub({
    store: stores.workshops,
    progress: stores.progress,
    verified: stores.verified,
    publicBus: bus,
    // With Redis, every instance serves every workshop: live state in Redis, streams on the shared bus.
    redis,
    knownLessons,
    listenHost: config.host,
    streams: sseSettings,
    draining: drainController.signal,
    timings: options.workshops,
    onError: (error) => logger.error('A workshop stream listener or background update failed:', error),
  });
  const sse = sseRoute({ bus, faults, streams: sseStreams, draining: drainController.signal, settings: sseSettings });
  const exercises = createExercises({
    jobs: sharedJobs ?? jobs,
    bus,
    faults,
    sse,
    verified: stores.verified,
    code: stores.code,
    settings: options.exercises,
    // A pass shows on the dashboard of the learner's workshops.
    onVerified: (learnerId) => workshops.progressSaved(learnerId),
    onError: (error) => logger.error('A passed exercise could not be recorded as verified:', error),
  });
  const progress = createProgressRoutes({
    store: stores.progress,
    verified: stores.verified,
    knownLessons,
    // A member's synced progress updates their row on the host's dashboard.
    onSaved: (learnerId) => workshops.progressSaved(learnerId),
  });

  const limits = new RequestLimits({
    caps: { perAddress: config.maxConnectionsPerIp, total: config.maxConnections },
    proxies: config.trustProxy,
    rates: config.rateLimits ? { ...RATE_LIMITS, ...options.rateLimits } : 'off',
  });
  const limitedRoute = createRouteLimits(limits, {
    isKnownLearner: async (learnerId) => (await stores.progress.get(learnerId)) !== undefined,
  });

  const router = new Router()
    .on(apiRoutes.health, 'GET', livenessRoute())
    .on(apiRoutes.ready, 'GET', readinessRoute(notReadyReason))
    .on(apiRoutes.jobs, 'POST', startJobRoute(sharedJobs ?? jobs, channelAccess))
    .on(apiRoutes.job, 'GET', exercises.watchJobPolls(getJobRoute(sharedJobs ?? jobs)))
    .on(apiRoutes.progress, 'GET', progress.get)
    .on(apiRoutes.progress, 'PUT', progress.put)
    .on(apiRoutes.progress, 'DELETE', progress.reset)
    .on(apiRoutes.channelEvents, 'POST', publishEventRoute(bus))
    .on(apiRoutes.channelLatest, 'GET', channelLatestRoute(bus))
    .on(apiRoutes.channelFaults, 'POST', injectFaultRoute(faults, channelAccess))
    .on(apiRoutes.longPoll, 'GET', exercises.watchChannels(longPolling.route))
    .on(apiRoutes.sse, 'GET', exercises.watchChannels(sse))
    .on(apiRoutes.builds, 'POST', startBuildRoute(builds, channelAccess))
    .on(apiRoutes.exerciseSandbox, 'GET', exerciseSandboxRoute());
  registerLabRoutes(router, labs);
  registerWorkshopRoutes(router, workshops, channelAccess);
  production.register(router);
  scaling.register(router);
  exercises.register(router);

  // The site loads in the background; `ready()` exposes the outcome, page requests wait for it.
  const site: Promise<AstroSite | undefined> = config.apiOnly
    ? Promise.resolve(undefined)
    : loadAstroSite(config.siteDir, (message) => logger.warn(message));
  site.then(
    () => (siteLoaded = true),
    () => {}, // reported through ready(); this handler only keeps the rejection from being "unhandled"
  );
  const { pageHeaders, serveStaticFile } = createSiteFiles(config.siteDir, config.apiOnly);
  const hostCheck = createHostCheck(config.host, config.allowedHosts);
  const timeouts = { ...SERVER_TIMEOUTS, ...options.timeouts };

  /** Responses not yet finished, so draining can close their connection once they are. */
  const inFlight = new Set<ServerResponse>();
  /** One listener for every response rather than a closure each (memory per held stream): `this` is the response. */
  function forgetResponse(this: ServerResponse): void {
    inFlight.delete(this);
  }

  const server = createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
    },
    (request, response) => {
      inFlight.add(response);
      // 'close' comes once per response, so `on` (no wrapper per listener, as `once` makes) is enough.
      response.on('close', forgetResponse);
      handleRequest(request, response).catch((error: unknown) => answerError(request, response, error, logger));
    },
  );
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  // Malformed requests and timeouts that Node detects before any handler: the same problem format as the rest.
  server.on('clientError', clientErrorAnswerer(timeouts));
  const connections = trackConnections(server);
  // WebSocket upgrades (`GET /ws`) never reach the request handler.
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!hostCheck.allows(request.headers.host)) {
      socket.on('error', () => socket.destroy());
      return rejectUpgrade(socket, misdirected(request.headers.host));
    }
    // A WebSocket holds a stream slot like an SSE stream; past the cap the upgrade is refused with 429.
    const endpoint = exercises.takesUpgrade(request) ? exercises : webSocket;
    if (isInternalRequest(request) || limits.admitUpgrade(request, socket)) endpoint.handleUpgrade(request, socket, head);
  });
  // Counts the bytes of requests tagged `?lab=…&via=…` (lesson 6), per lab and technique.
  attachTrafficMeter(server, (tag, socket) => labs.lane(tag, socket));

  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    setApiSecurityHeaders(response);
    if (drainController.signal.aborted) closeConnectionAfter(response);
    if (!hostCheck.allows(request.headers.host)) throw new HttpProblem(misdirected(request.headers.host));
    const method = request.method ?? 'GET';
    if (method === 'OPTIONS' && answeredPreflight(router, request, response)) return;
    if (!router.handlesMethod(method)) {
      // RFC 9110 §15.6.2: a method no resource here supports (TRACE, CONNECT, PATCH…).
      throw new HttpProblem({
        status: 501,
        detail: `This server does not implement ${method} on any resource.`,
      });
    }
    const url = parseRequestUrl(request);
    if (!decodesAsPath(url.pathname)) {
      throw new HttpProblem({
        status: 400,
        detail: `The path ${JSON.stringify(url.pathname.slice(0, 200))} is not valid percent-encoding (RFC 3986 §2.1).`,
      });
    }

    if (url.pathname === WS_PATH) {
      // A plain request to the WebSocket endpoint: RFC 9110 §15.5.22, 426 names the protocol to upgrade to.
      throw new HttpProblem({
        status: 426,
        detail: `${WS_PATH} speaks WebSocket only: send a GET with "Upgrade: websocket" (RFC 6455 §4.1), e.g. new WebSocket(url) in a browser.`,
        headers: { Upgrade: 'websocket', Connection: 'Upgrade' },
      });
    }
    if (config.apiOnly || isApiPath(url.pathname)) {
      const match = router.match(method, url.pathname);
      if (match.kind === 'found') {
        // Any request on a channel claims it for its learner if nobody owns it yet (reading and publishing stay open).
        const { channel } = match.params;
        if (channel !== undefined && isValidChannel(channel)) channelAccess.touch(channel, request);
        if (allowsCrossOrigin(match.pattern)) allowCrossOriginRead(response);
        if (config.checkResponses) expectResponses(response, { method, pattern: match.pattern, logger });
        return limitedRoute(method, match.pattern, { request, response, url, params: match.params }, match.handler);
      }
      if (match.kind === 'wrong-method') {
        throw new HttpProblem({
          status: 405,
          detail: `${url.pathname} does not accept ${method}; it accepts ${match.allow.join(', ')}.`,
          // RFC 9110 §15.5.6: a 405 must list the methods the resource supports.
          headers: { Allow: match.allow.join(', ') },
        });
      }
      throw new HttpProblem({
        status: 404,
        detail: isApiPath(url.pathname)
          ? `There is no API endpoint at ${url.pathname}; docs/api.md lists them all.`
          : `This server runs with API_ONLY=1 and serves no pages; open the site with \`npm run dev\` or \`npm start\`.`,
      });
    }

    if (method !== 'GET' && method !== 'HEAD') {
      throw new HttpProblem({
        status: 405,
        detail: `Pages are read with GET or HEAD, not ${method}.`,
        headers: { Allow: 'GET, HEAD' },
      });
    }
    // Pages carry their own policy; everything else keeps the short one.
    response.removeHeader('Content-Security-Policy');
    giveLearnerCookieWithPage(request, response);
    if (await serveStaticFile(request, response, url)) return;
    const loaded = await site;
    // What the renderer answers is a page: the 404 page, or "not built yet".
    for (const [name, value] of Object.entries(pageHeaders)) if (value !== undefined) response.setHeader(name, value);
    await loaded?.render(request, response);
  }

  // #region begin-draining
  /** While draining, a keep-alive connection must not wait for another request once its response is done. */
  function closeConnectionAfter(response: ServerResponse): void {
    // RFC 9112 §9.6: "Connection: close" tells the client to open a new connection (to another instance, if balanced).
    if (!response.headersSent) response.setHeader('Connection', 'close');
    response.once('finish', () => setImmediate(() => server.closeIdleConnections()));
  }

  function beginDraining(): void {
    if (drainController.signal.aborted) return;
    drainController.abort();
    for (const response of inFlight) closeConnectionAfter(response);
  }
  // #endregion begin-draining

  function notReadyReason(): string | undefined {
    if (!siteLoaded && !config.apiOnly) return 'the built site is still loading';
    if (drainController.signal.aborted) return 'draining for a shutdown';
    return bus.unavailableReason();
  }

  function isReady(): boolean {
    return notReadyReason() === undefined;
  }

  let closing: Promise<void> | undefined;

  return {
    server,
    bus,
    jobs,
    builds,
    faults,
    draining: drainController.signal,
    ready: async () => {
      await Promise.all([site, stores.ready()]);
    },
    isReady,
    inFlightRequests: () => inFlight.size,
    heldPolls: (channel) => longPolling.heldPolls(channel),
    openStreams: (channel) => sseStreams.count(channel),
    openWebSockets: () => webSocket.connectionCount,
    production,
    loadedWorkshops: () => workshops.loadedWorkshops(),
    scaling,
    limits,
    routes: () => router.routes(),
    beginDraining,
    close() {
      beginDraining();
      closing ??= new Promise<void>((resolve) => {
        jobs.close();
        builds.close();
        labs.close();
        production.close();
        exercises.close();
        webSocket.close();
        workshops.close();
        if (!server.listening) {
          resolve();
          return;
        }
        // Clients still sending when the window ends must not hold the shutdown until the grace period is over.
        const stragglers = setTimeout(() => {
          const ended = connections.endStragglers(inFlight);
          if (ended > 0) logger.warn(`Ended ${ended} connection(s) whose client was still sending a request.`);
        }, timeouts.stragglerMs);
        stragglers.unref();
        server.close(() => {
          clearTimeout(stragglers);
          resolve();
        });
        // Keep-alive connections with no request in flight would otherwise hold close() open for their timeout.
        server.closeIdleConnections();
      }).then(async () => {
        await scaling.close();
        await bus.close();
        await redis?.close();
        await stores.close();
      });
      return closing;
    },
  };
}
