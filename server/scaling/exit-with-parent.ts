/**
 * Loaded into each of lesson 8's demo instances before `server/index.ts`
 * (`node --import ./server/scaling/exit-with-parent.ts server/index.ts`):
 * the instance exits as soon as the server that started it is gone, even
 * when that server was killed with SIGKILL and could clean nothing up. The
 * parent holds the other end of an IPC channel; the kernel closes it when
 * the parent dies, and Node then emits `disconnect`.
 */
process.on('disconnect', () => process.exit(0));
