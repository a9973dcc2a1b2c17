import { randomInt } from 'node:crypto';
import { JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH } from '../../src/protocol/workshops.ts';

/** A random join code: {@link JOIN_CODE_LENGTH} characters of {@link JOIN_CODE_ALPHABET}, each uniform (`randomInt`). */
export function newJoinCode(): string {
  let code = '';
  for (let index = 0; index < JOIN_CODE_LENGTH; index += 1) {
    code += JOIN_CODE_ALPHABET[randomInt(JOIN_CODE_ALPHABET.length)];
  }
  return code;
}
