// #region client
export interface Message {
  id: number;
  text: string;
}

/** Shows every message as it is published. Returns a function that stops. */
export function followMessages(url: string, show: (message: Message) => void): () => void {
  const source = new EventSource(url);
  source.onmessage = (event) => show(JSON.parse(event.data));
  // After a network error the browser reconnects by itself, sending the last id in
  // Last-Event-ID. It gives up only on a bad answer (not 200, or not text/event-stream).
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) console.warn('The stream ended for good.');
  };
  return () => source.close();
}
// #endregion client
