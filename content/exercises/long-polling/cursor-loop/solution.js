// Long-poll until `done`: each answer moves the cursor; a lost answer is asked for again.
let cursor = 0;
let done = false;
while (!done) {
  let body;
  try {
    const response = await fetch(`${run.urls.poll}?cursor=${cursor}&timeout=10000`, { signal });
    // Nothing came before the timeout: ask again, from the same cursor.
    if (response.status === 204) continue;
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    body = await response.json();
  } catch (error) {
    if (signal.aborted) throw error;
    // The answer was lost on the way: its events never reached us, so the cursor stays.
    log(`lost an answer (${error.message}); asking again from cursor ${cursor}`);
    await sleep(500);
    continue;
  }
  for (const event of body.events) {
    log(`event ${event.id}: ${event.type}`);
    if (event.type === 'done') done = true;
  }
  // Only now, with the events in hand, does the cursor move on.
  cursor = body.cursor;
}
log('done: no more polls.');
