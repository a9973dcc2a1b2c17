/**
 * A widget's live status sentence, announced politely, and under it the
 * error, when there is one, announced at once (`role="alert"`).
 */
export function StatusLines({ status, error }: { status: string; error: string | null }) {
  return (
    <>
      <p class="widget-status" role="status" aria-live="polite">
        {status}
      </p>
      {error && (
        <p class="widget-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}
