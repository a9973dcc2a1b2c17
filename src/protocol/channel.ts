/**
 * Channels scope demo traffic: one reader's clicks reach only the widgets that
 * share the channel (a workshop shares one on purpose).
 */
export const CHANNEL_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** True when `name` is a valid channel name: 1–64 of `A–Z a–z 0–9 _ -`. */
export function isValidChannel(name: string): boolean {
  return CHANNEL_PATTERN.test(name);
}
