// Read run.urls.stream until the `done` event, and log each event once.
// You have: run (run.urls.stream), log(...values), sleep(ms), and signal (aborted by Stop).
// The server sends `tick` events 1–6, then `done`, and cuts the stream once, after event 3.
//
// This client runs, but it does not yet:
// - come back so that the server can resume: on an error it closes its EventSource and opens a
//   new one, which has forgotten the id of the last event it received;
// - finish when `done` arrives: it just waits 15 s.
let source;
function open() {
  source = new EventSource(run.urls.stream);
  source.addEventListener('tick', (event) => log(`tick ${event.lastEventId}: ${event.data}`));
  source.addEventListener('error', () => {
    log('the stream broke: opening a new one');
    source.close();
    open();
  });
}
open();
await sleep(15000);
source.close();
