import { LEARNER_COOKIE } from '../../../src/protocol/progress.ts';

/**
 * The learner id `response` set in its learner cookie
 * (`Set-Cookie: rtw_learner=<id>; Path=/; …`); undefined when it set none or cleared it.
 */
export function learnerIdFrom(response: Response): string | undefined {
  const cookie = response.headers.getSetCookie().find((value) => value.startsWith(`${LEARNER_COOKIE}=`));
  return cookie?.slice(LEARNER_COOKIE.length + 1).split(';')[0] || undefined;
}
