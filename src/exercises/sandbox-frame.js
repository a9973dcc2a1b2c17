/*
 * The script of the exercise sandbox's frame (GET /api/exercise-sandbox), inlined
 * by the server with its hash in the frame's policy. Plain JavaScript, read as text:
 * no build step stands between this file and the browser.
 *
 * The frame is an <iframe sandbox="allow-scripts">: an opaque origin, so no cookies,
 * no storage and no access to the page. It runs the learner's code in a dedicated
 * Worker made from a blob (no DOM at all), relays what the worker says to the page,
 * and accepts messages from the page only. The page ends a run by removing the frame,
 * which ends the worker whatever it is doing.
 *
 * Messages (src/exercises/sandbox-messages.ts checks them on the page's side):
 *   page → frame: {kind: 'start', code, run, maxRequests}, {kind: 'stop'}
 *   frame → page: {kind: 'ready'}, {kind: 'log', text}, {kind: 'requests', count},
 *                 {kind: 'error', message, line?, column?}, {kind: 'done', outcome: 'returned' | 'threw' | 'stopped'}
 */
(() => {
  /** The longest text one message carries: what a worker says is capped before the page sees it. */
  const MAX_TEXT = 2000;
  /** Lines of output (logs and errors) one run may send: a loop that logs without end must not flood the page. */
  const MAX_OUTPUT = 1000;
  /** The learner's line 1 is line 2 of the worker's script (see workerSource). */
  const FIRST_LEARNER_LINE = 2;

  const page = window.parent;
  // The page is this frame's own URL's origin (window.origin is "null" in the sandbox).
  const pageOrigin = new URL(location.href).origin;
  /** @type {Worker | undefined} */
  let worker;

  /** @param {Record<string, unknown>} message */
  const tellPage = (message) => page.postMessage(message, pageOrigin);
  /** @param {unknown} value */
  const capped = (value) => String(value).slice(0, MAX_TEXT);

  window.addEventListener('message', (event) => {
    // Only the page that framed us may start or stop a run.
    if (event.source !== page) return;
    const message = event.data;
    if (typeof message !== 'object' || message === null) return;
    if (message.kind === 'start' && worker === undefined && typeof message.code === 'string') start(message);
    else if (message.kind === 'stop') worker?.postMessage({ kind: 'stop' });
  });

  /** @param {{code: string, run: unknown, maxRequests: unknown}} message */
  function start(message) {
    const lines = message.code.split('\n').length;
    const source = workerSource(message.code, lines);
    const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    worker = new Worker(url);
    worker.addEventListener('message', (event) => relay(event.data));
    // A syntax error in the learner's code fails the whole script: the worker never runs.
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      const line = Math.min(Math.max(event.lineno - FIRST_LEARNER_LINE + 1, 1), lines);
      tellPage({ kind: 'error', message: capped(event.message), line, column: event.colno || undefined });
      tellPage({ kind: 'done', outcome: 'threw' });
    });
    worker.postMessage({ kind: 'start', run: message.run, maxRequests: message.maxRequests });
  }

  /** What the worker says goes on only in the shapes the page expects: the learner's code could post anything. */
  function relay(/** @type {any} */ data) {
    if (typeof data !== 'object' || data === null) return;
    if (data.kind === 'log') tellPage({ kind: 'log', text: capped(data.text) });
    else if (data.kind === 'requests' && Number.isInteger(data.count)) tellPage({ kind: 'requests', count: data.count });
    else if (data.kind === 'error') {
      const line = Number.isInteger(data.line) ? data.line : undefined;
      const column = Number.isInteger(data.column) ? data.column : undefined;
      tellPage({ kind: 'error', message: capped(data.message), line, column });
    } else if (data.kind === 'done' && ['returned', 'threw', 'stopped'].includes(data.outcome))
      tellPage({ kind: 'done', outcome: data.outcome });
  }

  /**
   * The worker's script: the learner's code as the body of an async function on
   * line 2 on, then the harness. The function comes first so that a line of the
   * script is the learner's line plus one.
   *
   * @param {string} code
   * @param {number} lines
   */
  function workerSource(code, lines) {
    return `const learnerMain = async function (run, log, sleep, signal) {\n${code}\n};\n(${harness.toString()})(learnerMain, ${FIRST_LEARNER_LINE}, ${lines}, ${MAX_TEXT}, ${MAX_OUTPUT});\n`;
  }

  /**
   * Runs inside the worker: counts requests, gives the learner `log`, `sleep` and
   * `signal`, and reports how the function ended. Self-contained (it is sent as text).
   *
   * @param {(run: unknown, log: (...values: unknown[]) => void, sleep: (ms: number) => Promise<void>, signal: AbortSignal) => Promise<unknown>} learnerMain
   * @param {number} firstLine
   * @param {number} lines
   * @param {number} maxText
   * @param {number} maxOutput
   */
  function harness(learnerMain, firstLine, lines, maxText, maxOutput) {
    const post = self.postMessage.bind(self);
    let outputs = 0;
    /** Sends a log or an error line, up to maxOutput of them, then one line saying the rest is dropped. @param {{kind: string}} line */
    const output = (line) => {
      outputs += 1;
      if (outputs <= maxOutput) post(line);
      else if (outputs === maxOutput + 1)
        post({ kind: 'log', text: `(${maxOutput} lines of output shown: the rest of this run's output is dropped)` });
    };
    // crypto.randomUUID exists only in a secure context (https, localhost); a workshop on a LAN is plain http.
    if (typeof crypto.randomUUID !== 'function') {
      crypto.randomUUID = () => {
        const bytes = crypto.getRandomValues(new Uint8Array(16));
        bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4 (RFC 9562 §5.4)
        bytes[8] = (bytes[8] & 0x3f) | 0x80; // the variant
        const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
        return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
      };
    }
    const stopping = new AbortController();
    let requests = 0;
    let maxRequests = 0;
    let started = false;

    /** @param {string} what */
    const countRequest = (what) => {
      if (requests >= maxRequests) throw new Error(`This run may send ${maxRequests} requests at most: ${what} was not sent.`);
      requests += 1;
      post({ kind: 'requests', count: requests });
    };
    const realFetch = self.fetch.bind(self);
    // no-store: the server must see exactly the headers the learner's code sends, not the HTTP cache's own revalidation.
    self.fetch = (input, init) => {
      countRequest('this fetch');
      return realFetch(input, { cache: 'no-store', ...init });
    };
    const RealEventSource = self.EventSource;
    self.EventSource = class extends RealEventSource {
      constructor(/** @type {string | URL} */ url, /** @type {EventSourceInit | undefined} */ options) {
        countRequest('this EventSource');
        super(url, options);
      }
    };
    const RealWebSocket = self.WebSocket;
    self.WebSocket = class extends RealWebSocket {
      constructor(/** @type {string | URL} */ url, /** @type {string | string[] | undefined} */ protocols) {
        countRequest('this WebSocket');
        super(url, protocols);
      }
    };

    /** @param {unknown} value */
    const show = (value) => {
      if (typeof value === 'string') return value;
      if (value instanceof Error) return `${value.name}: ${value.message}`;
      try {
        return JSON.stringify(value) ?? String(value);
      } catch {
        return String(value);
      }
    };
    /** @param {unknown[]} values */
    const log = (...values) => output({ kind: 'log', text: values.map(show).join(' ').slice(0, maxText) });
    /** @param {number} ms */
    const sleep = (ms) =>
      new Promise((resolve, reject) => {
        if (stopping.signal.aborted) return reject(stopping.signal.reason);
        const timer = setTimeout(resolve, Math.max(0, Number(ms) || 0));
        stopping.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(stopping.signal.reason);
        });
      });

    /** The learner's line of an error: the first frame of the stack inside their code. @param {unknown} error */
    const describe = (error) => {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : `Uncaught ${show(error)}`;
      const stack = error instanceof Error ? String(error.stack ?? '') : '';
      for (const match of stack.matchAll(/blob:[^\s)]*:(\d+):(\d+)/g)) {
        const line = Number(match[1]) - firstLine + 1;
        if (line >= 1 && line <= lines) return { kind: 'error', message, line, column: Number(match[2]) };
      }
      return { kind: 'error', message };
    };

    self.addEventListener('unhandledrejection', (event) => output(describe(event.reason)));
    self.addEventListener('message', (event) => {
      const message = event.data;
      if (message?.kind === 'stop') {
        stopping.abort(new DOMException('The run was stopped.', 'AbortError'));
        return;
      }
      if (message?.kind !== 'start' || started) return;
      started = true;
      maxRequests = Number.isInteger(message.maxRequests) ? message.maxRequests : 0;
      learnerMain(message.run, log, sleep, stopping.signal).then(
        () => post({ kind: 'done', outcome: stopping.signal.aborted ? 'stopped' : 'returned' }),
        (error) => {
          // Stopped: whatever the code threw on its way out (an aborted fetch or sleep) is not the learner's bug.
          if (stopping.signal.aborted) {
            post({ kind: 'done', outcome: 'stopped' });
            return;
          }
          // Always sent, past the output cap too: it says why the run ended.
          post(describe(error));
          post({ kind: 'done', outcome: 'threw' });
        },
      );
    });
  }

  tellPage({ kind: 'ready' });
})();
