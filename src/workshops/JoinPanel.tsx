import type { RefObject } from 'preact';
import { useId, useMemo, useRef, useState } from 'preact/hooks';
import { workshopPages, type HostWorkshop } from '../protocol/workshops.ts';
import { QrCode } from './QrCode.tsx';

/** The code, the join link and its QR code, and the projector view of the three. */
export function JoinPanel({ workshop }: { workshop: HostWorkshop }) {
  const ids = useId();
  const urls = useMemo(() => {
    if (workshop.joinUrls.length > 0) return workshop.joinUrls;
    return [new URL(workshopPages.join(workshop.code), location.origin).href];
  }, [workshop.joinUrls, workshop.code]);
  const [picked, setPicked] = useState(0);
  const url = urls[Math.min(picked, urls.length - 1)]!;
  const loopbackOnly = workshop.joinUrls.length === 0;
  const projector = useRef<HTMLDialogElement>(null);
  const [copied, setCopied] = useState<string | null>(null);

  async function copyHostLink() {
    try {
      await navigator.clipboard.writeText(location.href);
      setCopied('Host link copied. Keep it private: it opens this dashboard.');
    } catch {
      setCopied('Could not copy: select the address bar and copy it from there.');
    }
  }

  function showProjector() {
    projector.current?.showModal();
    document.documentElement.requestFullscreen?.().catch(() => {});
  }

  return (
    <section class="workshop-panel workshop-join-panel" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`} class="visually-hidden">
        How to join
      </h2>
      <div class="workshop-join-text">
        <p class="workshop-muted">Join code</p>
        {/* A screen reader spells the code letter by letter from the hidden copy (aria-label is not read on a <p>). */}
        <p class="workshop-code">
          <span data-join-code aria-hidden="true">
            {workshop.code}
          </span>
          <span class="visually-hidden">{workshop.code.split('').join(' ')}</span>
        </p>
        {urls.length > 1 ? (
          <div class="workshop-field">
            <label for={`${ids}-url`}>Join link (pick the address the room can reach)</label>
            <select
              id={`${ids}-url`}
              class="workshop-input"
              value={String(picked)}
              onChange={(event) => setPicked(Number(event.currentTarget.value))}
            >
              {urls.map((candidate, index) => (
                <option key={candidate} value={String(index)}>
                  {candidate}
                </option>
              ))}
            </select>
          </div>
        ) : (
          <p class="workshop-muted">Join link</p>
        )}
        <p class="workshop-url">
          <a href={url} data-join-url>
            {url}
          </a>
        </p>
        {loopbackOnly && (
          <p class="workshop-hint">
            This address works on this computer only. For a room, restart the server with <code>HOST=0.0.0.0 npm start</code> and open this
            dashboard through one of the LAN addresses it prints.
          </p>
        )}
        <div class="workshop-row">
          <button type="button" class="button" onClick={showProjector}>
            Show full screen
          </button>
          <button type="button" class="button secondary" onClick={() => void copyHostLink()}>
            Copy host link
          </button>
        </div>
        {copied && (
          <p class="workshop-hint" role="status">
            {copied}
          </p>
        )}
      </div>
      <QrCode text={url} label={`QR code of the join link ${url}`} class="workshop-qr" />

      <Projector dialog={projector} workshop={workshop} url={url} />
    </section>
  );
}

/** The join code, link and QR code, big, for the room's projector. */
function Projector({ dialog, workshop, url }: { dialog: RefObject<HTMLDialogElement>; workshop: HostWorkshop; url: string }) {
  return (
    <dialog
      ref={dialog}
      class="workshop-projector"
      aria-label="Join this workshop"
      onClose={() => {
        if (document.fullscreenElement) void document.exitFullscreen().catch(() => {});
      }}
    >
      <div class="workshop-projector-body">
        <p class="workshop-projector-title">{workshop.title}</p>
        <QrCode text={url} label={`QR code of the join link ${url}`} class="workshop-projector-qr" />
        <div class="workshop-projector-text">
          <p class="workshop-muted">Join code</p>
          <p class="workshop-projector-code">{workshop.code}</p>
          <p class="workshop-projector-url">{url}</p>
        </div>
        <button type="button" class="button secondary workshop-projector-close" onClick={() => dialog.current?.close()}>
          Close full screen
        </button>
      </div>
    </dialog>
  );
}
