// #region client
export interface Cursor {
  x: number;
  y: number;
}
export interface Room {
  protocol: string;
  say(text: string): void;
  moveTo(cursor: Cursor): void;
  leave(): void;
}

/** Joins the room at `url` (ws:// or wss://); resolves once the socket is open. */
export function joinRoom(url: string, heard: (text: string) => void, moved: (cursor: Cursor) => void): Promise<Room> {
  // Subprotocols in order of preference: the server answers with the one it picked.
  const socket = new WebSocket(url, ['chat.v2', 'chat.v1']);
  socket.binaryType = 'arraybuffer'; // binary messages arrive as ArrayBuffer instead of Blob
  socket.onmessage = ({ data }) => {
    if (typeof data === 'string') return heard(data);
    const view = new DataView(data as ArrayBuffer); // a cursor: two 16-bit numbers, 4 bytes
    moved({ x: view.getInt16(0), y: view.getInt16(2) });
  };
  return new Promise((resolve, reject) => {
    socket.onerror = () => reject(new Error(`Could not connect to ${url}`));
    socket.onopen = () =>
      resolve({
        protocol: socket.protocol,
        say: (text) => socket.send(text), // a text frame
        moveTo({ x, y }) {
          const view = new DataView(new ArrayBuffer(4));
          view.setInt16(0, x);
          view.setInt16(2, y);
          socket.send(view.buffer); // a binary frame of 4 bytes; {"x":120,"y":45} as JSON takes 16
        },
        leave: () => socket.close(1000, 'bye'),
      });
  });
}
// #endregion client
