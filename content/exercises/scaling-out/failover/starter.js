// Read the feed until the `done` event, from instance b; when b dies, go on from instance a.
// You have: run (run.urls.a, run.urls.b), log(...values), sleep(ms), and signal (aborted by Stop).
// Both instances serve the same feed on one backplane: the same events, with the same ids.
// The server sends `tick` 1–6, then `done`; after event 3, instance b dies, and from then on
// it answers 502, as a load balancer does for an instance that is gone.
//
// This client runs, but it does not yet:
// - remember the id of the last event it received (event.lastEventId);
// - ask instance a for the events after that id: a new EventSource sends no Last-Event-ID,
//   but this server also reads the id from the URL, ?lastEventId=N;
// - finish when `done` arrives: it just waits 15 s.
function read(instance) {
  const source = new EventSource(run.urls[instance]);
  source.addEventListener('tick', (event) => log(`${instance}: tick ${event.lastEventId}`));
  source.addEventListener('error', () => {
    if (instance !== 'b') return;
    log('instance b is gone: reading from a');
    source.close();
    read('a');
  });
}
read('b');
await sleep(15000);
