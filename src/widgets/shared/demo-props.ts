/** What a lesson's MDX may pass to a live demo (`<ShortPollingDemo client:reachable />`). */
export interface DemoProps {
  /** Tells apart several demos on one page: each keeps its own channel. */
  instance?: string;
  /** Where the companion server is; default: the page's origin. */
  baseUrl?: string;
}
