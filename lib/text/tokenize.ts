// Word tokenisation for the pipelines: Unicode letters and digits, inner apostrophes kept.
import { checkOptions, typeError } from '../errors';

export interface TokenizeOptions {
  lowercase?: boolean;
  /** A global regular expression whose matches are the tokens. */
  pattern?: RegExp;
}

const DEFAULT_PATTERN = /[\p{L}\p{N}]+(?:['\u2019][\p{L}\p{N}]+)*/gu;

export function tokenize(text: string, opts: TokenizeOptions = {}): string[] {
  opts = checkOptions('opts', opts);
  if (typeof text !== 'string') throw typeError('text', 'a string', text);
  const pattern = opts.pattern ?? DEFAULT_PATTERN;
  if (!pattern.global) throw new TypeError('pattern must be a global (/g) regular expression');
  const source = opts.lowercase === false ? text : text.toLowerCase();
  return source.match(pattern) ?? [];
}
