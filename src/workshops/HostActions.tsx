import { useId, useRef, useState } from 'preact/hooks';
import { apiRoutes } from '../protocol/api-routes.ts';
import { WORKSHOP_LIMITS, type HostWorkshop } from '../protocol/workshops.ts';
import { plural } from '../widgets/shared/format.ts';
import type { DashboardLesson } from './HostDashboard.tsx';
import type { HostModel } from './host-model.ts';

/** What the host does to the room: send everyone to a lesson, broadcast into the demos, lock, export, close. */
export function HostActions({ model, workshop, lessons }: { model: HostModel; workshop: HostWorkshop; lessons: DashboardLesson[] }) {
  const ids = useId();
  return (
    <section class="workshop-panel workshop-actions" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Lead the room</h2>
      <GotoForm model={model} workshop={workshop} lessons={lessons} />
      <BroadcastForm model={model} />
      <WorkshopStateControls model={model} workshop={workshop} />
    </section>
  );
}

function GotoForm({ model, workshop, lessons }: { model: HostModel; workshop: HostWorkshop; lessons: DashboardLesson[] }) {
  const ids = useId();
  const [lesson, setLesson] = useState(workshop.focus?.lesson ?? lessons[0]?.slug ?? '');
  const busy = model.busy.value;
  const focusTitle = lessons.find((entry) => entry.slug === workshop.focus?.lesson)?.title;
  return (
    <form
      class="workshop-action"
      onSubmit={(event) => {
        event.preventDefault();
        if (lesson) void model.goto(lesson);
      }}
    >
      <label for={`${ids}-lesson`}>Send everyone to</label>
      <div class="workshop-row">
        <select id={`${ids}-lesson`} class="workshop-input" value={lesson} onChange={(event) => setLesson(event.currentTarget.value)}>
          {lessons.map((entry) => (
            <option key={entry.slug} value={entry.slug}>
              {entry.order}. {entry.title}
            </option>
          ))}
        </select>
        <button type="submit" class="button" disabled={busy !== null}>
          Send everyone there
        </button>
      </div>
      <p class="workshop-hint">
        {focusTitle ? `Now: ${focusTitle}. ` : ''}Each learner is asked to open the lesson, and every “done” is lowered.
      </p>
    </form>
  );
}

function BroadcastForm({ model }: { model: HostModel }) {
  const ids = useId();
  const [text, setText] = useState('');
  const busy = model.busy.value;
  const receipt = model.lastReceipt.value;
  return (
    <form
      class="workshop-action"
      onSubmit={async (event) => {
        event.preventDefault();
        if (text.trim() && (await model.broadcast(text.trim()))) setText('');
      }}
    >
      <label for={`${ids}-text`}>Broadcast into the live demos</label>
      <div class="workshop-row">
        <input
          id={`${ids}-text`}
          class="workshop-input workshop-grow"
          maxLength={WORKSHOP_LIMITS.maxBroadcastLength}
          value={text}
          onInput={(event) => setText(event.currentTarget.value)}
          placeholder="e.g. Now kill the connection and watch it resume"
        />
        <button type="submit" class="button" disabled={busy !== null || text.trim() === ''}>
          Send broadcast
        </button>
      </div>
      <p class="workshop-hint" data-receipt aria-live="polite">
        {receipt
          ? `Sent to ${plural(receipt.members, 'learner')}, ${plural(receipt.channels, 'demo channel')}.`
          : 'An event on the channel of every demo open on learners’ pages: their SSE and long-polling demos show it.'}
      </p>
    </form>
  );
}

/** Lock or unlock, export the CSV, and close for good (after a confirmation). */
function WorkshopStateControls({ model, workshop }: { model: HostModel; workshop: HostWorkshop }) {
  const ids = useId();
  const closeDialog = useRef<HTMLDialogElement>(null);
  const busy = model.busy.value;
  return (
    <>
      <div class="workshop-action">
        <p class="workshop-label">The workshop</p>
        <div class="workshop-row">
          {workshop.state === 'open' ? (
            <button type="button" class="button secondary" disabled={busy !== null} onClick={() => void model.setState('locked')}>
              Lock (nobody new joins)
            </button>
          ) : (
            <button type="button" class="button secondary" disabled={busy !== null} onClick={() => void model.setState('open')}>
              Unlock
            </button>
          )}
          <a class="button secondary" href={apiRoutes.workshopResults.path({ code: workshop.code })} download>
            Export CSV
          </a>
          <button
            type="button"
            class="button secondary workshop-danger"
            disabled={busy !== null}
            onClick={() => closeDialog.current?.showModal()}
          >
            Close the workshop…
          </button>
        </div>
      </div>

      <dialog ref={closeDialog} class="workshop-dialog" aria-labelledby={`${ids}-close-title`}>
        <form
          method="dialog"
          onSubmit={(event) => {
            const submitter = (event as SubmitEvent).submitter as HTMLButtonElement | null;
            if (submitter?.value === 'close') void model.setState('closed');
          }}
        >
          <h2 id={`${ids}-close-title`}>Close “{workshop.title}”?</h2>
          <p>
            Learners are told the workshop has ended and nobody can join or report any more. You keep this dashboard and the CSV. Closing
            cannot be undone.
          </p>
          <div class="workshop-row">
            <button type="submit" class="button workshop-danger-solid" value="close">
              Close the workshop
            </button>
            <button type="submit" class="button secondary" value="cancel" autofocus>
              Cancel
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
