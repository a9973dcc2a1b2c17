// Poll the job until it ends: conditional requests, Retry-After honoured, nothing after the end.
let etag = null;
let finished = false;
while (!finished) {
  // A 304 keeps the ETag we had: the job we hold is still the current one.
  const headers = etag === null ? {} : { 'If-None-Match': etag };
  const response = await fetch(run.urls.job, { headers, signal });

  if (response.status === 503) {
    // Retry-After is in seconds here (it may also be an HTTP date; this server sends seconds).
    const seconds = Number(response.headers.get('Retry-After')) || 1;
    log(`503: the server asks for ${seconds} s of quiet`);
    await sleep(seconds * 1000);
    continue;
  }
  if (response.status === 304) {
    log('304: nothing changed');
  } else if (response.status === 200) {
    etag = response.headers.get('ETag');
    const job = await response.json();
    log(`200: ${job.state} ${job.progress}%`);
    finished = job.state === 'succeeded' || job.state === 'failed';
  } else {
    throw new Error(`Unexpected answer: ${response.status}`);
  }
  if (!finished) await sleep(1000);
}
log('The job has ended: no more polls.');
