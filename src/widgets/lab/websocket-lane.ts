import { effect } from '@preact/signals';
import { labQuery } from '../../protocol/lab.ts';
import { ReconnectingSocket } from '../websocket/reconnecting-socket.ts';
import { defaultSocketUrl } from '../websocket/socket-url.ts';
import { publishedAtOf, type LaneClient, type LaneContext } from './lane.ts';

/**
 * A WebSocket on `/ws` subscribed to the channel — lesson 5's reconnecting
 * socket: backoff with full jitter after a drop, and `subscribe` again with
 * the cursor of the last event received.
 */
export function createWebSocketLane(context: LaneContext): LaneClient {
  const base = new URL(context.baseUrl);
  const socketUrl = `${defaultSocketUrl(base)}?${labQuery(context.labId, context.technique)}`;
  const socket = new ReconnectingSocket({ url: socketUrl, clock: context.clock });
  const cleanups: (() => void)[] = [];

  return {
    start() {
      const listening = new Promise<void>((resolve) => {
        cleanups.push(
          socket.onMessage((message) => {
            if (message.type === 'subscribed' && message.channel === context.channel) resolve();
            if (message.type === 'event' && message.channel === context.channel) {
              context.deliver([{ id: message.event.id, publishedAt: publishedAtOf(message.event.data) }]);
            }
          }),
        );
        cleanups.push(() => resolve());
      });
      let wasOpen = false;
      cleanups.push(
        effect(() => {
          const state = socket.state.value;
          if (state.status === 'open') wasOpen = true;
          if (state.status === 'reconnecting' && wasOpen) {
            wasOpen = false;
            context.interrupted('The socket closed; it reconnects after a random backoff and subscribes from its cursor.');
          }
        }),
      );
      socket.connect();
      socket.subscribe(context.channel, 0);
      return listening;
    },
    stop() {
      for (const cleanup of cleanups.splice(0)) cleanup();
      socket.dispose();
    },
  };
}
