import path from 'node:path';
import { pageScriptHashes } from './page-script-hashes.ts';
import { API_CONTENT_SECURITY_POLICY, pageSecurityHeaders } from './security-headers.ts';
import { createStaticFileHandler } from './static-files.ts';

/**
 * The built site's files (`<siteDir>/client`) and the headers its pages carry.
 * The pages' policy is read from the built pages once: it allows exactly the
 * inline scripts this build emitted.
 */
export function createSiteFiles(siteDir: string, apiOnly: boolean) {
  const clientDir = path.join(siteDir, 'client');
  const pageHeaders = pageSecurityHeaders(apiOnly ? [] : pageScriptHashes(clientDir));
  const serveStaticFile = createStaticFileHandler(clientDir, (contentType) => {
    if (contentType.startsWith('text/html')) return pageHeaders;
    // An SVG opened on its own is a document that could run script: it gets none.
    if (contentType.startsWith('image/svg+xml')) return { 'Content-Security-Policy': API_CONTENT_SECURITY_POLICY };
    return {};
  });
  return { pageHeaders, serveStaticFile };
}
