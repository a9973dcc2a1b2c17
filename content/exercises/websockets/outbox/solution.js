// An outbox, and reconnects with exponential backoff and full jitter.
const BASE_MS = 250;
const CAP_MS = 4000;
const outbox = new Map(); // clientId → text, until the server acknowledges it
let socket;
let attempt = 0;
let allQueued = false;
let finish;
const finished = new Promise((resolve) => (finish = resolve));
const send = (clientId, text) => socket.send(JSON.stringify({ type: 'message', clientId, text }));
const allAcknowledged = () => allQueued && outbox.size === 0;

function connect() {
  socket = new WebSocket(run.urls.socket);
  socket.addEventListener('open', () => {
    attempt = 0;
    // Whatever was not acknowledged goes again, with its first clientId: the server keeps it once.
    for (const [clientId, text] of outbox) send(clientId, text);
  });
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(event.data);
    if (message.type !== 'ack') return log(`server: ${event.data}`);
    outbox.delete(message.clientId);
    log(`ack ${message.clientId} → ${message.id}`);
    if (allAcknowledged()) finish();
  });
  socket.addEventListener('close', async () => {
    if (allAcknowledged() || signal.aborted) return;
    // Full jitter: a random wait up to the exponential ceiling, so a fleet spreads out.
    const wait = Math.random() * Math.min(CAP_MS, BASE_MS * 2 ** attempt);
    attempt += 1;
    log(`closed; trying again in ${Math.round(wait)} ms`);
    await sleep(wait);
    connect();
  });
}

connect();
for (let n = 1; n <= 5; n += 1) {
  const clientId = `m${n}-${Math.random().toString(36).slice(2, 10)}`;
  outbox.set(clientId, String(n));
  if (socket.readyState === WebSocket.OPEN) send(clientId, String(n));
  await sleep(300);
}
allQueued = true;
if (allAcknowledged()) finish();
await finished;
socket.close();
log('all five acknowledged.');
