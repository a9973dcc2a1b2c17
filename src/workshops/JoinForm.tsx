import type { RefObject } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { WORKSHOP_LIMITS, normalizeJoinCode, type PublicWorkshop } from '../protocol/workshops.ts';
import { errorMessage } from '../widgets/shared/http.ts';
import { useHydrated } from '../islands/use-hydrated.ts';
import { createWorkshopClient } from './client.ts';
import { fromMembership, readMembership, writeMembership, type StoredMembership } from './membership.ts';
import { useWorkshopPreview } from './use-workshop-preview.ts';
import { codeProblem, nameProblem } from './validation.ts';
import './workshops.css';

const client = createWorkshopClient();

/**
 * The home page's "Join a workshop" form: the code the instructor shows
 * (`/?join=CODE` fills it in and puts the cursor on the name) and a display
 * name. Joining stores the membership and brings up the workshop bar.
 */
export default function JoinForm() {
  const ids = useId();
  const hydrated = useHydrated();
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [joining, setJoining] = useState(false);
  const [joined, setJoined] = useState<StoredMembership | null>(null);
  const [fromLink, setFromLink] = useState(false);
  const nameInput = useRef<HTMLInputElement>(null);
  const section = useRef<HTMLElement>(null);

  useEffect(() => {
    setJoined(readMembership());
    const linked = new URLSearchParams(location.search).get('join');
    if (linked) {
      setCode(normalizeJoinCode(linked));
      setFromLink(true);
    }
  }, []);

  // After the render that enabled the fieldset: a disabled input cannot take focus.
  useEffect(() => {
    if (!hydrated || !fromLink) return;
    section.current?.scrollIntoView({ block: 'center' });
    nameInput.current?.focus();
  }, [hydrated, fromLink]);

  // The title, once the code is complete, so people see they are joining the right room.
  const { preview, previewError } = useWorkshopPreview(client, code);

  async function join(event: Event) {
    event.preventDefault();
    const problem = codeProblem(code) ?? nameProblem(name);
    if (problem) {
      setError(problem);
      return;
    }
    setJoining(true);
    setError(null);
    try {
      const membership = await client.join(normalizeJoinCode(code), name);
      const entry = fromMembership(membership, readMembership());
      writeMembership(entry);
      setJoined(entry);
      const slot = document.querySelector<HTMLElement>('[data-workshop-slot]');
      if (slot) (await import('./workshop-bar.ts')).mountWorkshopBar(slot);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setJoining(false);
    }
  }

  return (
    <section class="workshop-join" aria-labelledby={`${ids}-title`} ref={section}>
      <h2 id={`${ids}-title`}>Join a workshop</h2>
      <p class="workshop-muted">
        In a class? Enter the code your instructor shows and the name they will see. Your progress stays anonymous to everyone else.
      </p>
      {joined && (
        <p class="workshop-joined" role="status">
          You are in <strong>{joined.title}</strong> as <strong>{joined.name}</strong>. Open any lesson; the bar at the top keeps you in
          touch.
        </p>
      )}
      <form class="workshop-form" onSubmit={join} noValidate>
        <fieldset disabled={!hydrated || joining}>
          <legend class="visually-hidden">Join a workshop</legend>
          <JoinFields ids={ids} code={code} name={name} joining={joining} nameInput={nameInput} onCode={setCode} onName={setName} />
        </fieldset>
        <p id={`${ids}-preview`} class="workshop-muted workshop-preview" aria-live="polite">
          {preview ? previewLine(preview) : (previewError ?? '')}
        </p>
        {error && (
          <p class="workshop-error" role="alert">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}

/** The two inputs and the submit button; `ids` prefixes their ids, as in the form's labels. */
function JoinFields(props: {
  ids: string;
  code: string;
  name: string;
  joining: boolean;
  /** Focused when the page came from a `/?join=CODE` link. */
  nameInput: RefObject<HTMLInputElement>;
  onCode: (code: string) => void;
  onName: (name: string) => void;
}) {
  const { ids, code, name, joining, nameInput, onCode, onName } = props;
  return (
    <div class="workshop-fields">
      <div class="workshop-field">
        <label for={`${ids}-code`}>Join code</label>
        <input
          id={`${ids}-code`}
          class="workshop-input workshop-code-input"
          name="code"
          autocomplete="off"
          autocapitalize="characters"
          spellcheck={false}
          required
          maxLength={12}
          value={code}
          onInput={(event) => onCode(event.currentTarget.value)}
          aria-describedby={`${ids}-preview`}
        />
      </div>
      <div class="workshop-field">
        <label for={`${ids}-name`}>Your name</label>
        <input
          id={`${ids}-name`}
          ref={nameInput}
          class="workshop-input"
          name="name"
          autocomplete="nickname"
          required
          maxLength={WORKSHOP_LIMITS.maxNameLength * 2}
          value={name}
          onInput={(event) => onName(event.currentTarget.value)}
        />
      </div>
      <button type="submit" class="button workshop-submit">
        {joining ? 'Joining…' : 'Join'}
      </button>
    </div>
  );
}

/** The preview under the form: the workshop's title, or that it takes nobody new. */
function previewLine(preview: PublicWorkshop): string {
  return preview.state === 'locked' ? `“${preview.title}” is locked: nobody new can join.` : `Workshop: ${preview.title}`;
}
