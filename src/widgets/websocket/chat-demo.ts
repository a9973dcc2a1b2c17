import { computed, effect, signal, type ReadonlySignal } from '@preact/signals';
import type { Clock } from '../shared/clock.ts';
import { completeExercise } from '../shared/exercise-completion.ts';
import { checkExercise, type ExerciseCheck } from './chat-exercise.ts';
import { createChatPane, type ChatPane, type PaneId } from './model.ts';
import { ReconnectingSocket } from './reconnecting-socket.ts';

/** The chat demo: two panes in one room, and the lesson's exercise across them. */
export interface ChatDemoModel {
  readonly panes: readonly [ChatPane, ChatPane];
  readonly room: ReadonlySignal<string | null>;
  /** Some pane is connected and in the room, so it can ask for a restart. */
  readonly canRestart: ReadonlySignal<boolean>;
  readonly exercise: ReadonlySignal<ExerciseCheck>;
  /** True once the exercise passed (in this model's life). */
  readonly exerciseDone: ReadonlySignal<boolean>;
  /** Connects both panes to `room`. */
  start(room: string): void;
  /** "Restart the server side": 1012 to every socket in the room. */
  restart(): boolean;
  dispose(): void;
}

export interface ChatDemoOptions {
  /** Makes each pane's socket; default a {@link ReconnectingSocket} to the page's `/ws`. */
  createSocket?: (id: PaneId) => ReconnectingSocket;
  clock?: Clock;
  /** Called once, the first time the exercise passes. */
  onExerciseComplete?: () => void;
}

/** Creates both panes. Touches no browser API until `start()`. */
export function createChatDemo(options: ChatDemoOptions = {}): ChatDemoModel {
  const createSocket = options.createSocket ?? (() => new ReconnectingSocket({ clock: options.clock }));
  const panes = [
    createChatPane({ id: 'a', socket: createSocket('a'), clock: options.clock }),
    createChatPane({ id: 'b', socket: createSocket('b'), clock: options.clock }),
  ] as const;
  const room = signal<string | null>(null);
  const exerciseDone = signal(false);
  const exercise = computed(() => checkExercise(panes));
  const canRestart = computed(() => panes.some((pane) => pane.socket.inRoom.value));

  const disposeExerciseEffect = effect(() => {
    if (exercise.value.passed) completeExercise(exerciseDone, options.onExerciseComplete);
  });

  return {
    panes,
    room,
    canRestart,
    exercise,
    exerciseDone,
    start(name) {
      room.value = name;
      for (const pane of panes) pane.start(name);
    },
    restart() {
      const pane = panes.find((candidate) => candidate.socket.inRoom.peek());
      return pane ? pane.restart() : false;
    },
    dispose() {
      disposeExerciseEffect();
      for (const pane of panes) pane.dispose();
    },
  };
}
