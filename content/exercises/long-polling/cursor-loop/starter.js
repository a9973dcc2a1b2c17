// Long-poll run.urls.poll until the `done` event, and log each event once.
// You have: run (run.urls.poll), log(...values), sleep(ms), and signal (aborted by Stop).
// GET `${run.urls.poll}?cursor=N&timeout=10000` answers at once with the events after id N,
// as 200 {events, cursor}, or holds the request until one comes (204 if none came in time).
// The server publishes tick 1–6, then done, and cuts one answer halfway (the lost response).
//
// This loop runs, but it does not yet:
// - send the cursor of the last answer it received: every poll asks from 0, so events come again;
// - survive the lost answer: reading the cut body throws, and the loop dies with it;
// - stop after the `done` event: it polls 15 times whatever happens.
const cursor = 0;
for (let poll = 1; poll <= 15; poll += 1) {
  const response = await fetch(`${run.urls.poll}?cursor=${cursor}&timeout=10000`, { signal });
  if (response.status === 204) continue;
  const body = await response.json();
  for (const event of body.events) log(`event ${event.id}: ${event.type}`);
}
