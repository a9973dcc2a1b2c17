// Fail over without losing or repeating an event: the ids are the backplane's, the same on
// every instance, so the other instance can go on from the last one this client received.
let lastId = '';
let current;
signal.addEventListener('abort', () => current?.close());
await new Promise((resolve) => {
  function read(instance) {
    // A new EventSource sends no Last-Event-ID: this server reads it from the URL too.
    const url = lastId === '' ? run.urls[instance] : `${run.urls[instance]}?lastEventId=${lastId}`;
    const source = new EventSource(url);
    current = source;
    source.addEventListener('tick', (event) => {
      lastId = event.lastEventId;
      log(`${instance}: tick ${event.lastEventId}`);
    });
    source.addEventListener('done', () => {
      source.close();
      resolve();
    });
    source.addEventListener('error', () => {
      if (instance !== 'b') return; // a stays up; EventSource reconnects to it by itself
      source.close();
      log(`instance b is gone: going on from a, after event ${lastId}`);
      read('a');
    });
  }
  read('b');
});
log('done: every event once.');
