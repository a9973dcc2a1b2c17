import { useEffect, useState } from 'preact/hooks';
import { JOIN_CODE_PATTERN, normalizeJoinCode, type PublicWorkshop } from '../protocol/workshops.ts';
import { errorMessage } from '../widgets/shared/http.ts';
import type { WorkshopClient } from './client.ts';

/** The workshop a typed join code names, or why it cannot be shown. */
export interface WorkshopPreview {
  preview: PublicWorkshop | null;
  previewError: string | null;
}

/**
 * Looks the workshop up once the code is complete, so people see they are
 * joining the right room. A lookup overtaken by a newer code is ignored.
 */
export function useWorkshopPreview(client: WorkshopClient, code: string): WorkshopPreview {
  const [preview, setPreview] = useState<PublicWorkshop | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  useEffect(() => {
    const normalized = normalizeJoinCode(code);
    setPreview(null);
    setPreviewError(null);
    if (!JOIN_CODE_PATTERN.test(normalized)) return;
    let current = true;
    client.workshop(normalized).then(
      (workshop) => current && setPreview(workshop),
      (failure) => current && setPreviewError(errorMessage(failure)),
    );
    return () => {
      current = false;
    };
  }, [client, code]);
  return { preview, previewError };
}
