import type { InstanceAction, InstanceName, InstanceState, ObservedPublish } from '../../protocol/scaling.ts';

const STATUS_LABEL: Record<InstanceState['status'], string> = {
  starting: 'starting',
  running: 'running',
  paused: 'paused (SIGSTOP)',
  killed: 'killed (SIGKILL)',
  exited: 'exited',
};

/** The color of each status, always beside its word. */
const STATUS_TONE: Record<InstanceState['status'], 'ok' | 'warn' | 'err'> = {
  starting: 'warn',
  running: 'ok',
  paused: 'warn',
  killed: 'err',
  exited: 'err',
};

export interface InstanceCardProps {
  instance: InstanceState;
  /** Notes published on it, the newest last. */
  published: readonly ObservedPublish[];
  /** The reader's stream is on this instance now. */
  servesYou: boolean;
  /** Controls work (hydrated, the demo running, nothing in flight). */
  enabled: boolean;
  now: number;
  onPublish: (on: InstanceName) => void;
  onAct: (on: InstanceName, action: InstanceAction) => void;
}

/** One of the two instances: its process, what it serves, what was published on it, and the faults the reader injects. */
export function InstanceCard({ instance, published, servesYou, enabled, now, onPublish, onAct }: InstanceCardProps) {
  const name = instance.name.toUpperCase();
  const up = instance.status === 'running';
  const down = instance.status === 'killed' || instance.status === 'exited';
  const resumesIn = instance.resumesAt === null ? null : Math.max(0, Math.ceil((instance.resumesAt - now) / 1000));
  const last = published.slice(-3);
  return (
    <section class="widget-card scale-instance" aria-label={`Instance ${name}`} data-instance={instance.name} data-status={instance.status}>
      <div class="widget-card-head">
        <span class="widget-card-title scale-instance-title">Instance {name}</span>
        <span class={`widget-badge scale-status scale-tone-${STATUS_TONE[instance.status]}`}>
          <span class="widget-dot" aria-hidden="true" />
          {STATUS_LABEL[instance.status]}
        </span>
      </div>
      <p class="widget-facts">
        <span>
          pid <span class="widget-mono">{instance.pid ?? '–'}</span>
        </span>
        <span>
          port <span class="widget-mono">{instance.port ?? '–'}</span>
        </span>
        <span>
          streams{' '}
          <span class="widget-mono" data-open-streams>
            {instance.openStreams}
          </span>
          {servesYou ? ' (yours)' : ''}
        </span>
      </p>
      {resumesIn !== null && <p class="widget-hint">Resumes by itself in {resumesIn} s.</p>}
      {instance.exit && <p class="widget-error">{instance.exit}</p>}
      <div class="widget-row">
        <button type="button" class="widget-button widget-primary" disabled={!enabled || !up} onClick={() => onPublish(instance.name)}>
          Publish on {name}
        </button>
        <button type="button" class="widget-button" disabled={!enabled || down} onClick={() => onAct(instance.name, 'kill')}>
          Kill {name}
        </button>
        {instance.status === 'paused' ? (
          <button type="button" class="widget-button" disabled={!enabled} onClick={() => onAct(instance.name, 'resume')}>
            Resume {name}
          </button>
        ) : (
          <button type="button" class="widget-button" disabled={!enabled || !up} onClick={() => onAct(instance.name, 'pause')}>
            Pause {name}
          </button>
        )}
        <button type="button" class="widget-button" disabled={!enabled} onClick={() => onAct(instance.name, 'restart')}>
          Restart {name}
        </button>
      </div>
      <p class="widget-hint scale-published">
        {last.length === 0
          ? 'Nothing published here yet.'
          : `Published here: ${last.map((note) => `#${note.id}`).join(', ')}${published.length > last.length ? ' …' : ''}`}
      </p>
    </section>
  );
}
