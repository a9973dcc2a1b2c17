/**
 * The floor under bench/fanout.ts's CPU per delivery: what one `socket.write()`
 * of a delivery's size costs this process, with no HTTP, no framing and no
 * event bus, on loopback TCP to readers in another process (as the fan-out
 * bench's are). A fan-out delivers each event with one write per socket, so no
 * server gets under this figure; the kernel's part of it includes the
 * receiver's TCP input, which loopback runs on the sender's time.
 *
 *   node bench/write-floor.ts [sockets=1000] [rounds=200] [bytes=200]
 */
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

const [SOCKETS = 1000, ROUNDS = 200, BYTES = 200] = process.argv.slice(2).map(Number);

if (process.env.WRITE_FLOOR_READER_PORT) {
  // The reader: SOCKETS connections that take whatever arrives.
  for (let i = 0; i < SOCKETS; i += 1) connect(Number(process.env.WRITE_FLOOR_READER_PORT), '127.0.0.1').resume();
} else {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    // As Node's HTTP server sets it, so each write goes out at once.
    socket.setNoDelay(true);
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const reader = spawn(process.execPath, [process.argv[1]!, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, WRITE_FLOOR_READER_PORT: String(address.port) },
  });
  while (sockets.length < SOCKETS) await delay(50);
  await delay(500);

  const bytes = Buffer.alloc(BYTES, 'x');
  const before = process.cpuUsage();
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const socket of sockets) socket.write(bytes);
    // One round at a time, as the fan-out bench publishes one event at a time.
    await delay(5);
  }
  const { user, system } = process.cpuUsage(before);
  const writes = SOCKETS * ROUNDS;
  console.log(
    `${writes} writes of ${BYTES} B to ${SOCKETS} sockets: ${((user + system) / writes).toFixed(2)} µs/write ` +
      `(kernel ${(system / writes).toFixed(2)}, user ${(user / writes).toFixed(2)})`,
  );
  reader.kill();
  for (const socket of sockets) socket.destroy();
  server.close();
}
