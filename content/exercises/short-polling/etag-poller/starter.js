// Poll the job at run.urls.job until it ends, and log what you see.
// You have: run (run.urls.job), log(...values), sleep(ms), and signal (aborted by Stop).
// The server records every request of this run and judges them when it ends.
//
// This loop works, but it is wasteful and impolite. It does not yet:
// - send back the ETag of the last 200 answer (If-None-Match), so that an unchanged
//   job costs a 304 with no body;
// - wait as long as a 503 answer's Retry-After header asks before polling again;
// - stop once the job has succeeded or failed: it polls 20 times whatever happens.
for (let poll = 1; poll <= 20; poll += 1) {
  const response = await fetch(run.urls.job, { signal });
  if (response.ok) {
    const job = await response.json();
    log(`poll ${poll}: ${response.status} ${job.state} ${job.progress}%`);
  } else {
    log(`poll ${poll}: ${response.status}`);
  }
  await sleep(1000);
}
