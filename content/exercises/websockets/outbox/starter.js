// Send "1" to "5" on run.urls.socket, one every 300 ms, each as
// JSON {type: 'message', clientId, text}; the server answers {type: 'ack', clientId, id}.
// You have: run (run.urls.socket), log(...values), sleep(ms), and signal (aborted by Stop).
// The server cuts the socket three times (once before it acks "2"), and refuses
// every reconnect for 2 s after each cut, as a restarting server would.
//
// This client runs, but it does not yet:
// - keep each message until its ack (an outbox), and send the rest again, with the same
//   clientId, once it is connected again;
// - reconnect at all, let alone with exponential backoff and full jitter;
// - finish once all five messages are acknowledged.
const socket = new WebSocket(run.urls.socket);
socket.addEventListener('message', (event) => log(`server: ${event.data}`));
await new Promise((resolve) => socket.addEventListener('open', resolve));
for (let n = 1; n <= 5; n += 1) {
  socket.send(JSON.stringify({ type: 'message', clientId: `m${n}`, text: String(n) }));
  await sleep(300);
}
await sleep(1000);
