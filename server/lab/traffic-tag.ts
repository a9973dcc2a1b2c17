import { isLabTechnique, LAB_ID_PATTERN, LAB_PARAMS, type LabTechnique } from '../../src/protocol/lab.ts';

/** Which lab and technique a request belongs to. */
export interface TrafficTag {
  lab: string;
  via: LabTechnique;
}

/**
 * Reads `?lab=<id>&via=<technique>` from a request target (`/api/sse/c?lab=…`).
 * Undefined when either is missing or invalid: such a request is not lab
 * traffic and is never counted. Cheap for the common case (no `lab=` at all),
 * since every request of the server passes through here.
 */
export function readTrafficTag(target: string | undefined): TrafficTag | undefined {
  if (target === undefined || !target.includes(`${LAB_PARAMS.lab}=`)) return undefined;
  const queryStart = target.indexOf('?');
  if (queryStart < 0) return undefined;
  const query = new URLSearchParams(target.slice(queryStart + 1));
  const lab = query.get(LAB_PARAMS.lab);
  const via = query.get(LAB_PARAMS.via);
  if (lab === null || !LAB_ID_PATTERN.test(lab) || !isLabTechnique(via)) return undefined;
  return { lab, via };
}
