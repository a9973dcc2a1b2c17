// One EventSource for the whole run: after the cut it reconnects by itself, sending
// Last-Event-ID (the id of the last event it received), and the server resumes after it.
const source = new EventSource(run.urls.stream);
signal.addEventListener('abort', () => source.close());
await new Promise((resolve) => {
  source.addEventListener('tick', (event) => log(`tick ${event.lastEventId}: ${event.data}`));
  // An error while it reconnects is expected: EventSource comes back after `retry` ms.
  source.addEventListener('error', () => log('the stream broke; EventSource reconnects by itself'));
  source.addEventListener('done', (event) => {
    log(`done (${event.lastEventId})`);
    resolve();
  });
});
// Closed on purpose: otherwise it would reconnect for ever.
source.close();
