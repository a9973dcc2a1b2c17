const encoder = new TextEncoder();

/** How many bytes `text` takes in UTF-8: what a body, frame or header line costs on the wire. */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}
