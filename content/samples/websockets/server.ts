// #region server
import { createServer } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';

export const server = createServer((req, res) => res.writeHead(404).end());

// The subprotocols this server speaks. It picks the first one the client offered that it knows;
// with none, the handshake answers no protocol and the browser fails the connection.
const SPOKEN = ['chat.v1'];
const rooms = new WebSocketServer({
  server,
  path: '/chat',
  maxPayload: 64 * 1024,
  handleProtocols: (offered) => SPOKEN.find((protocol) => offered.has(protocol)) ?? false,
});

// Everything one member sends goes to the others: text as text, binary as binary.
rooms.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => {
    for (const other of rooms.clients) {
      if (other !== socket && other.readyState === WebSocket.OPEN) other.send(data, { binary: isBinary });
    }
  });
});

if (process.argv[1] === import.meta.filename) server.listen(3000);
// #endregion server
