import { apiRoutes } from '../protocol/api-routes.ts';
import { Component, type ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { normalizeJoinCode, workshopPages, type HostWorkshop, type MemberView } from '../protocol/workshops.ts';
import { formatPoints } from '../protocol/quiz/scenarios.ts';
import { TECHNIQUES, TECHNIQUE_NAMES, type Technique } from '../protocol/quiz/techniques.ts';
import { plural } from '../widgets/shared/format.ts';
import { createWorkshopClient } from './client.ts';
import { createHostModel, type HostConnection, type HostModel } from './host-model.ts';
import { completionCounts, quizTakers, quizTallies, raisedHands, type Roster } from './host-state.ts';
import { HostActions } from './HostActions.tsx';
import { JoinPanel } from './JoinPanel.tsx';
import './workshops.css';

export interface DashboardLesson {
  slug: string;
  title: string;
  order: number;
}

export interface DashboardScenario {
  id: string;
  title: string;
  answer: Technique;
}

interface Props {
  lessons: DashboardLesson[];
  scenarios: DashboardScenario[];
}

/**
 * `/workshops/host/?code=…#key=…`: the instructor's live view of a
 * workshop. The code comes from the query, the secret from the fragment
 * (never sent to the server in a URL). Renders only; host-model.ts holds the
 * state and the connection.
 */
export default function HostDashboard({ lessons, scenarios }: Props) {
  const [model, setModel] = useState<HostModel | null>(null);
  const [code, setCode] = useState('');

  useEffect(() => {
    // Typed or pasted links may carry `k7q-x2m`: the server and the host cookie's path use the canonical code.
    const fromQuery = normalizeJoinCode(new URLSearchParams(location.search).get('code') ?? '');
    const secret = new URLSearchParams(location.hash.slice(1)).get('key');
    const created = createHostModel(createWorkshopClient(), fromQuery, fromQuery ? secret : null);
    setCode(fromQuery);
    setModel(created);
    void created.start();
    return () => created.dispose();
  }, []);

  if (!model) {
    return (
      <div class="workshop-host">
        <p class="workshop-muted" role="status">
          Loading the dashboard…
        </p>
      </div>
    );
  }

  const phase = model.phase.value;
  if (phase === 'no-key') {
    return (
      <CannotOpen>
        <strong>This link has no host key.</strong> Open the host link you bookmarked when you started the workshop: it ends with{' '}
        <code>#key=…</code>. The key is shown only once, so without it the dashboard cannot open.
      </CannotOpen>
    );
  }
  if (phase === 'refused') {
    return (
      <CannotOpen>
        <strong>The dashboard could not open.</strong> {model.error.value}
      </CannotOpen>
    );
  }
  const workshop = model.workshop.value;
  if (!workshop) {
    return (
      <div class="workshop-host">
        <h1>Workshop dashboard</h1>
        <p class="workshop-muted" role="status">
          {model.status.value || `Opening workshop ${code}…`}
        </p>
      </div>
    );
  }
  return <Dashboard model={model} workshop={workshop} lessons={lessons} scenarios={scenarios} />;
}

function Dashboard({ model, workshop, lessons, scenarios }: { model: HostModel; workshop: HostWorkshop } & Props) {
  const roster = model.roster.value;
  const counts = model.counts.value;
  const closed = workshop.state === 'closed';
  const titles = useMemo(() => Object.fromEntries(lessons.map((lesson) => [lesson.slug, lesson.title])), [lessons]);
  return (
    <div class="workshop-host" data-workshop-state={workshop.state}>
      <header class="workshop-host-head">
        <p class="workshop-kicker">Workshop dashboard</p>
        <h1>{workshop.title}</h1>
        <div class="workshop-badges">
          <StateBadge state={workshop.state} />
          <ConnectionBadge state={model.connection.value} />
        </div>
        <p class="workshop-status" role="status" aria-live="polite">
          {model.status.value}
        </p>
        {model.error.value && (
          <p class="workshop-error" role="alert">
            {model.error.value}
          </p>
        )}
      </header>

      {!closed && <JoinPanel workshop={workshop} />}

      <section class="workshop-panel" aria-labelledby="room-title">
        <h2 id="room-title">The room</h2>
        <ul class="workshop-tiles" aria-label="Counts">
          <li data-count="online">
            <span class="workshop-tile-value">{counts.online}</span> online
          </li>
          <li data-count="present">
            <span class="workshop-tile-value">{counts.present}</span> {counts.present === 1 ? 'member' : 'members'}
          </li>
          <li data-count="done">
            <span class="workshop-tile-value">{counts.done}</span> done with this step
          </li>
        </ul>
        <Hands roster={roster} />
      </section>

      {!closed && <HostActions model={model} workshop={workshop} lessons={lessons} />}
      {closed && (
        <section class="workshop-panel">
          <p>
            The workshop is closed: nobody can join or report any more. The results stay here and in the CSV.{' '}
            <a href={apiRoutes.workshopResults.path({ code: workshop.code })} download>
              Export CSV
            </a>
          </p>
        </section>
      )}

      <Grid roster={roster} lessons={lessons} titles={titles} />
      <Quiz roster={roster} scenarios={scenarios} />
      <BroadcastLog model={model} />
    </div>
  );
}

const STATE_LABEL = { open: 'Open', locked: 'Locked', closed: 'Closed' } as const;

/** The dashboard in place of a workshop it cannot show: why, and a way on. */
function CannotOpen({ children }: { children: ComponentChildren }) {
  return (
    <div class="workshop-host">
      <h1>Workshop dashboard</h1>
      <div class="workshop-panel workshop-notice" role="alert">
        <p>{children}</p>
        <p>
          <a href={workshopPages.create}>Start a new workshop</a>
        </p>
      </div>
    </div>
  );
}

function StateBadge({ state }: { state: HostWorkshop['state'] }) {
  return (
    <span class={`workshop-badge workshop-state-${state}`} data-state={state}>
      {STATE_LABEL[state]}
    </span>
  );
}

const CONNECTION_LABEL: Record<HostConnection, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  ended: 'Not following (closed)',
};

function ConnectionBadge({ state }: { state: HostConnection }) {
  return (
    <span class={`workshop-badge workshop-conn-${state}`} data-connection={state}>
      <span class="workshop-dot" aria-hidden="true" />
      <span class="visually-hidden">Updates: </span>
      {CONNECTION_LABEL[state]}
    </span>
  );
}

function Hands({ roster }: { roster: Roster }) {
  const hands = raisedHands(roster);
  if (hands.length === 0) return <p class="workshop-muted">No hand raised: nobody has said “done with this step” yet.</p>;
  return (
    <div>
      <p class="workshop-label">Done with this step</p>
      <ul class="workshop-hands" aria-label="Done with this step">
        {hands.map((member) => (
          <li key={member.id}>{member.name}</li>
        ))}
      </ul>
    </div>
  );
}

function Grid({ roster, lessons, titles }: { roster: Roster; lessons: DashboardLesson[]; titles: Record<string, string> }) {
  const slugs = useMemo(() => lessons.map((lesson) => lesson.slug), [lessons]);
  const members = [...roster.values()];
  const totals = completionCounts(roster, slugs);
  return (
    <section class="workshop-panel" aria-labelledby="grid-title">
      <h2 id="grid-title">Learners</h2>
      {members.length === 0 ? (
        <p class="workshop-muted">Nobody has joined yet. Show the code or the QR code to the room.</p>
      ) : (
        <div class="workshop-table-wrap" tabIndex={0} role="region" aria-label="Learners and completed lessons">
          <table class="workshop-grid">
            <thead>
              <tr>
                <th scope="col">Learner</th>
                <th scope="col">Reading</th>
                <th scope="col">Done</th>
                {lessons.map((lesson) => (
                  <th scope="col" key={lesson.slug} class="workshop-grid-lesson">
                    <abbr title={lesson.title}>{lesson.order}</abbr>
                    <span class="visually-hidden"> {lesson.title}</span>
                  </th>
                ))}
                <th scope="col">Quiz</th>
              </tr>
            </thead>
            <tbody>
              {members.map((member) => (
                <MemberRow key={member.id} member={member} slugs={slugs} titles={titles} />
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colSpan={3}>
                  Completed
                </th>
                {slugs.map((slug) => (
                  <td key={slug} class="workshop-grid-cell">
                    {totals[slug]}
                  </td>
                ))}
                <td />
              </tr>
            </tfoot>
          </table>
        </div>
      )}
      {members.length > 0 && (
        <p class="workshop-hint">
          <span class="workshop-complete">✓</span> complete, as the learner’s browser reports it ·{' '}
          <span class="workshop-complete workshop-verified">✓</span> an exercise the server itself saw them pass
        </p>
      )}
    </section>
  );
}

/** A member's lesson: verified by the server (it saw an exercise pass), complete (their browser says so), or not yet. */
function LessonCell({ slug, member }: { slug: string; member: MemberView }) {
  const complete = member.completed[slug] !== undefined;
  const verified = member.verified[slug] !== undefined;
  const label = verified ? 'verified by the server' : complete ? 'complete' : undefined;
  return (
    <td
      class={label ? 'workshop-grid-cell workshop-complete' : 'workshop-grid-cell'}
      data-lesson={slug}
      data-complete={complete}
      data-verified={verified}
    >
      {label ? (
        <>
          <span aria-hidden="true" class={verified ? 'workshop-verified' : undefined}>
            ✓
          </span>
          <span class="visually-hidden">{label}</span>
        </>
      ) : (
        <span aria-hidden="true">·</span>
      )}
    </td>
  );
}

interface RowProps {
  member: MemberView;
  slugs: string[];
  titles: Record<string, string>;
}

/**
 * One learner's row. A `member` event replaces one MemberView object, so a
 * row re-renders only when its own member changed: 200 learners stay cheap.
 */
class MemberRow extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps): boolean {
    return next.member !== this.props.member || next.slugs !== this.props.slugs || next.titles !== this.props.titles;
  }

  override render({ member, slugs, titles }: RowProps) {
    const left = member.leftAt !== null;
    const presence = left ? 'left' : member.online ? 'online' : 'offline';
    return (
      <tr data-member={member.id} data-presence={presence} class={left ? 'workshop-left' : undefined}>
        <th scope="row" class="workshop-grid-name">
          <span class={`workshop-dot workshop-presence-${presence}`} aria-hidden="true" />
          <span class="workshop-name">{member.name}</span>
          <span class="visually-hidden">, {presence}</span>
          {left && <span class="workshop-hint"> (left)</span>}
        </th>
        <td class="workshop-grid-where">{member.lesson ? (titles[member.lesson] ?? member.lesson) : '—'}</td>
        <td class="workshop-grid-cell" data-done={member.doneAt !== null}>
          {member.doneAt !== null ? (
            <>
              <span aria-hidden="true">✓</span>
              <span class="visually-hidden">done</span>
            </>
          ) : (
            ''
          )}
        </td>
        {slugs.map((slug) => (
          <LessonCell key={slug} slug={slug} member={member} />
        ))}
        <td class="workshop-grid-cell">{member.quiz ? `${formatPoints(member.quiz.points)}/${member.quiz.total}` : '—'}</td>
      </tr>
    );
  }
}

function Quiz({ roster, scenarios }: { roster: Roster; scenarios: DashboardScenario[] }) {
  const ids = useMemo(() => scenarios.map((scenario) => scenario.id), [scenarios]);
  const tallies = quizTallies(roster, ids);
  const takers = quizTakers(roster);
  return (
    <section class="workshop-panel" aria-labelledby="quiz-title">
      <h2 id="quiz-title">Quiz answers</h2>
      <p class="workshop-muted">
        What each member picked in their latest round of lesson 9’s quiz ({plural(takers, 'member')} so far). ✓ marks the right answer.
      </p>
      {takers > 0 && (
        <div class="workshop-table-wrap" tabIndex={0} role="region" aria-label="Quiz answers per scenario">
          <table class="workshop-quiz">
            <thead>
              <tr>
                <th scope="col">Scenario</th>
                {TECHNIQUES.map((technique) => (
                  <th scope="col" key={technique}>
                    {TECHNIQUE_NAMES[technique]}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {scenarios.map((scenario, index) => {
                const tally = tallies[index]!;
                return (
                  <tr key={scenario.id} data-scenario={scenario.id}>
                    <th scope="row">{scenario.title}</th>
                    {TECHNIQUES.map((technique) => {
                      const right = technique === scenario.answer;
                      const count = tally.counts[technique];
                      const share = tally.answered ? Math.round((count / tally.answered) * 100) : 0;
                      return (
                        <td key={technique} class={right ? 'workshop-quiz-right' : undefined} data-count={count}>
                          <span class="workshop-quiz-count">
                            {count}
                            {right && (
                              <>
                                <span aria-hidden="true"> ✓</span>
                                <span class="visually-hidden"> (right answer)</span>
                              </>
                            )}
                          </span>
                          <span class="workshop-quiz-bar" aria-hidden="true">
                            <span style={{ width: `${share}%` }} />
                          </span>
                        </td>
                      );
                    })}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function BroadcastLog({ model }: { model: HostModel }) {
  const log = model.broadcasts.value;
  return (
    <section class="workshop-panel" aria-labelledby="log-title">
      <h2 id="log-title">Recent broadcasts</h2>
      {log.length === 0 ? (
        <p class="workshop-muted">None yet.</p>
      ) : (
        <ol class="workshop-log" data-broadcast-log>
          {log.map((record) => (
            <li key={`${record.at}:${record.text}`}>
              <span class="workshop-log-text">{record.text}</span>
              <span class="workshop-hint">
                {new Date(record.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })} · to{' '}
                {plural(record.members, 'learner')}, {plural(record.channels, 'demo channel')}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
