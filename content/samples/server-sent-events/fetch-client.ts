// #region client
export interface StreamEvent {
  event: string;
  data: string;
}

/** POSTs `body` as JSON and calls `onEvent` for each event of the text/event-stream answer. */
export async function postForEvents(
  url: string,
  body: unknown,
  onEvent: (event: StreamEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let rest = ''; // the start of a line whose end has not arrived yet
  let event = '';
  let data: string[] = [];
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    // Lines end in CRLF, LF or CR; a CR at the very end may be the first half of a CRLF.
    const lines = (rest + chunk.value).split(/\r\n|\r(?!$)|\n/);
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') {
        // A blank line ends the event: dispatch it if it has data.
        if (data.length) onEvent({ event: event || 'message', data: data.join('\n') });
        [event, data] = ['', []];
      } else if (!line.startsWith(':')) {
        // a line starting with ':' is a comment
        const colon = line.includes(':') ? line.indexOf(':') : line.length;
        const value = line.slice(colon + 1).replace(/^ /, '');
        if (line.slice(0, colon) === 'data') data.push(value);
        if (line.slice(0, colon) === 'event') event = value;
      }
    }
  }
}
// #endregion client
