/**
 * Tokens of the RFC 7644 §3.4.2.2 filter grammar (also used for PATCH paths). Pure and linear:
 * one pass over the input, every failure a ScimError with the 1-based position that caused it.
 */
import { isWellFormedText } from '../core/text.js';
import { ScimError } from './types.js';

export type Token =
  | { kind: '(' | ')' | '[' | ']' | 'end'; at: number }
  /** An attribute path, an operator, a keyword or true/false/null: the parser decides by position. */
  | { kind: 'word'; text: string; at: number }
  | { kind: 'string'; value: string; at: number }
  | { kind: 'number'; value: number; at: number }
  /** `.name` right after `]`: the sub-attribute of a value path (`emails[type eq "work"].value`). */
  | { kind: 'subAttr'; text: string; at: number };

// Attribute paths, URNs (`urn:...:2.0:User:name.givenName`), operators and keywords in one class.
const WORD = /[A-Za-z_$][A-Za-z0-9_$\-.:]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const SUB_ATTR = /\.([A-Za-z_$][A-Za-z0-9_$-]*)/y;
// A JSON string (RFC 8259 §7): no raw control characters, only the JSON escapes.
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const DELIMITER = /[\s()[\]]/;

/** Quotes a short excerpt of hostile input for an error detail. */
export function excerpt(text: string): string {
  const clipped = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  return JSON.stringify(clipped);
}

/** Splits `input` into tokens; `makeError` decides the scimType (invalidFilter or invalidPath). */
export function tokenize(input: string, makeError: (detail: string) => ScimError): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i] as string;
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === '[' || ch === ']') {
      tokens.push({ kind: ch, at: i });
      i += 1;
      continue;
    }
    if (ch === '"') {
      STRING.lastIndex = i;
      const match = STRING.exec(input);
      if (match === null) throw makeError(`${describeBadString(input, i)} at position ${i + 1}`);
      const value = JSON.parse(match[0]) as string;
      // An escape may still name U+0000 or half a surrogate pair, which no database column can compare with.
      if (!isWellFormedText(value)) throw makeError(`invalid_characters: the string at position ${i + 1} escapes a NUL, control character or unpaired surrogate`);
      tokens.push({ kind: 'string', value, at: i });
      i += match[0].length;
      continue;
    }
    if (ch === '.' && tokens.at(-1)?.kind === ']') {
      SUB_ATTR.lastIndex = i;
      const match = SUB_ATTR.exec(input);
      if (match === null) throw makeError(`expected a sub-attribute name after "]." at position ${i + 1}`);
      tokens.push({ kind: 'subAttr', text: match[1] as string, at: i });
      i += match[0].length;
      continue;
    }
    if (ch === '-' || (ch >= '0' && ch <= '9')) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(input);
      const end = match === null ? i : i + match[0].length;
      if (match === null || (end < input.length && !DELIMITER.test(input[end] as string))) {
        throw makeError(`malformed number at position ${i + 1}`);
      }
      const value = Number(match[0]);
      if (!Number.isFinite(value)) throw makeError(`number out of range at position ${i + 1}`);
      tokens.push({ kind: 'number', value, at: i });
      i = end;
      continue;
    }
    WORD.lastIndex = i;
    const match = WORD.exec(input);
    if (match === null) throw makeError(`unexpected character ${JSON.stringify(ch)} at position ${i + 1}`);
    tokens.push({ kind: 'word', text: match[0], at: i });
    i += match[0].length;
  }
  tokens.push({ kind: 'end', at: input.length });
  return tokens;
}

function describeBadString(input: string, start: number): string {
  for (let i = start + 1; i < input.length; i += 1) {
    const ch = input.charCodeAt(i);
    if (ch === 0x22) return 'malformed string';
    if (ch < 0x20) return 'control character inside a string (escape it)';
    if (ch === 0x5c) {
      const next = input[i + 1];
      if (next === undefined) break;
      if (next === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(input.slice(i + 2, i + 6))) return 'invalid \\u escape in a string';
        i += 5;
      } else if (!'"\\/bfnrt'.includes(next)) {
        return `invalid escape \\${next} in a string`;
      } else {
        i += 1;
      }
    }
  }
  return 'unterminated string';
}
