import { useId, useState } from 'preact/hooks';
import { WORKSHOP_LIMITS } from '../protocol/workshops.ts';
import { errorMessage } from '../widgets/shared/http.ts';
import { useHydrated } from '../islands/use-hydrated.ts';
import { createWorkshopClient } from './client.ts';
import { titleProblem } from './validation.ts';
import './workshops.css';

const client = createWorkshopClient();

/** `/workshops/`: a title, then off to the new workshop's dashboard (the secret rides in the link's fragment). */
export default function CreateWorkshopForm() {
  const ids = useId();
  const hydrated = useHydrated();
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);

  async function create(event: Event) {
    event.preventDefault();
    const problem = titleProblem(title);
    if (problem) {
      setError(problem);
      return;
    }
    setCreating(true);
    setError(null);
    try {
      const created = await client.create(title.trim());
      location.assign(created.hostPath);
    } catch (failure) {
      setError(errorMessage(failure));
      setCreating(false);
    }
  }

  return (
    <form class="workshop-form workshop-create" onSubmit={create} noValidate>
      <fieldset disabled={!hydrated || creating}>
        <legend class="visually-hidden">Start a workshop</legend>
        <div class="workshop-fields">
          <div class="workshop-field workshop-field-wide">
            <label for={`${ids}-title`}>Workshop title</label>
            <input
              id={`${ids}-title`}
              class="workshop-input"
              name="title"
              required
              maxLength={WORKSHOP_LIMITS.maxTitleLength}
              placeholder="e.g. Real-time web, Friday class"
              value={title}
              onInput={(event) => setTitle(event.currentTarget.value)}
            />
          </div>
          <button type="submit" class="button workshop-submit">
            {creating ? 'Starting…' : 'Start the workshop'}
          </button>
        </div>
      </fieldset>
      {error && (
        <p class="workshop-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
