/**
 * SCIM filter and PATCH path parser (RFC 7644 §3.4.2.2, §3.5.2). Recursive descent over the lexer's
 * tokens with RFC precedence (not > and > or); attribute names and schema URNs lower-cased in the AST.
 * Bounded: MAX_FILTER_LENGTH characters and MAX_FILTER_DEPTH nested groups, so hostile input fails fast.
 */
import { excerpt, tokenize } from './filter-lexer.js';
import type { Token } from './filter-lexer.js';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from './limits.js';
import type { AttrPath, CompareOp, FilterValue, ScimFilter } from './types.js';
import { ScimError } from './types.js';

/** A parsed PATCH path: `emails[type eq "work"].value` -> path emails, valueFilter, subAttribute 'value'. */
export interface ParsedAttrPath {
  path: AttrPath;
  valueFilter: ScimFilter | null;
  subAttribute: string | null;
}

const COMPARE_OPS: ReadonlySet<string> = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const ORDERING_OPS: ReadonlySet<string> = new Set(['gt', 'ge', 'lt', 'le']);
const STRING_OPS: ReadonlySet<string> = new Set(['co', 'sw', 'ew']);
const NAME = /^(?:[A-Za-z][A-Za-z0-9_$-]*|\$ref)$/;
const URN = /^[A-Za-z][A-Za-z0-9_$\-.:]*$/;

type MakeError = (detail: string) => ScimError;

/** Parses `name`, `name.sub` or `urn:...:name[.sub]` into a lower-cased AttrPath, or explains why not. */
export function parseAttrPathText(text: string, makeError: MakeError = filterError): AttrPath {
  const colon = text.lastIndexOf(':');
  const schema = colon === -1 ? null : text.slice(0, colon);
  const rest = colon === -1 ? text : text.slice(colon + 1);
  if (schema !== null && (schema === '' || !URN.test(schema) || schema.endsWith(':'))) {
    throw makeError(`malformed schema URN in attribute path ${excerpt(text)}`);
  }
  const parts = rest.split('.');
  if (parts.length > 2 || !parts.every((part) => NAME.test(part))) {
    throw makeError(`malformed attribute path ${excerpt(text)}`);
  }
  return {
    schema: schema === null ? null : schema.toLowerCase(),
    attribute: (parts[0] as string).toLowerCase(),
    subAttribute: parts[1] === undefined ? null : parts[1].toLowerCase(),
  };
}

function filterError(detail: string): ScimError {
  return new ScimError(400, 'invalidFilter', `Invalid filter: ${detail}`);
}

function pathError(detail: string): ScimError {
  return new ScimError(400, 'invalidPath', `Invalid path: ${detail}`);
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the input';
    case 'word':
      return excerpt(token.text);
    case 'string':
      return `the string ${excerpt(token.value)}`;
    case 'number':
      return `the number ${token.value}`;
    case 'subAttr':
      return excerpt(`.${token.text}`);
    default:
      return `"${token.kind}"`;
  }
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly makeError: MakeError,
  ) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)] as Token;
  }

  next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) this.index += 1;
    return token;
  }

  fail(detail: string, token: Token = this.peek()): never {
    throw this.makeError(`${detail}, found ${describe(token)} at position ${token.at + 1}`);
  }

  isWord(token: Token, word: string): boolean {
    return token.kind === 'word' && token.text.toLowerCase() === word;
  }

  enter(): void {
    this.depth += 1;
    if (this.depth > MAX_FILTER_DEPTH) this.fail(`nested deeper than ${MAX_FILTER_DEPTH} levels`);
  }

  expect(kind: ')' | ']', context: string): void {
    if (this.peek().kind !== kind) this.fail(`expected "${kind}" to close ${context}`);
    this.next();
    this.depth -= 1;
  }

  /** FILTER at the top level or inside parentheses; `inValuePath` restricts paths to plain sub-attributes. */
  parseOr(inValuePath: boolean): ScimFilter {
    let left = this.parseAnd(inValuePath);
    while (this.isWord(this.peek(), 'or')) {
      this.next();
      left = { kind: 'or', left, right: this.parseAnd(inValuePath) };
    }
    return left;
  }

  parseAnd(inValuePath: boolean): ScimFilter {
    let left = this.parseUnary(inValuePath);
    while (this.isWord(this.peek(), 'and')) {
      this.next();
      left = { kind: 'and', left, right: this.parseUnary(inValuePath) };
    }
    return left;
  }

  parseUnary(inValuePath: boolean): ScimFilter {
    const token = this.peek();
    if (this.isWord(token, 'not') && this.peek(1).kind === '(') {
      this.next();
      this.next();
      this.enter();
      const filter = this.parseOr(inValuePath);
      this.expect(')', '"not ("');
      return { kind: 'not', filter };
    }
    if (this.isWord(token, 'not') && this.peek(1).kind === 'word' && !this.isOperator(this.peek(1))) {
      this.fail('"not" must be followed by a parenthesised filter, as in not (userName eq "x");', this.peek(1));
    }
    if (token.kind === '(') {
      this.next();
      this.enter();
      const filter = this.parseOr(inValuePath);
      this.expect(')', '"("');
      return filter;
    }
    if (token.kind !== 'word') this.fail('expected an attribute path, "(" or "not ("');
    this.next();
    const path = parseAttrPathText(token.text, (detail) => this.makeError(`${detail} at position ${token.at + 1}`));
    if (inValuePath && (path.schema !== null || path.subAttribute !== null)) {
      throw this.makeError(`inside "[...]" name a sub-attribute only (as in emails[type eq "work"]), found ${excerpt(token.text)} at position ${token.at + 1}`);
    }
    if (this.peek().kind === '[') return this.parseValuePath(path, inValuePath, token);
    return this.parseComparison(path, token.text);
  }

  isOperator(token: Token): boolean {
    return token.kind === 'word' && (COMPARE_OPS.has(token.text.toLowerCase()) || token.text.toLowerCase() === 'pr');
  }

  parseValuePath(path: AttrPath, inValuePath: boolean, token: Token & { kind: 'word' }): ScimFilter {
    if (inValuePath) this.fail('value paths cannot be nested');
    if (path.subAttribute !== null) {
      throw this.makeError(`a value filter applies to a multi-valued attribute, not to ${excerpt(token.text)} at position ${token.at + 1}`);
    }
    this.next();
    this.enter();
    if (this.peek().kind === ']') this.fail('expected a filter inside "[...]"');
    const inner = this.parseOr(true);
    this.expect(']', '"["');
    // Entra's matching filter `emails[type eq "work"].value eq "x"` (and its docs' `emails[type eq "work"] eq "x"`)
    // are not RFC filters, but mean "an element of type work whose value eq x": parsed as exactly that.
    const after = this.peek();
    if (after.kind === 'subAttr' || this.isOperator(after)) {
      let sub = 'value';
      if (after.kind === 'subAttr') {
        if (!NAME.test(after.text)) this.fail('malformed sub-attribute');
        sub = after.text.toLowerCase();
        this.next();
      }
      const condition = this.parseComparison({ schema: null, attribute: sub, subAttribute: null }, sub);
      return { kind: 'valuePath', path, filter: { kind: 'and', left: inner, right: condition } };
    }
    return { kind: 'valuePath', path, filter: inner };
  }

  parseComparison(path: AttrPath, pathText: string): ScimFilter {
    const opToken = this.peek();
    if (!this.isOperator(opToken)) {
      this.fail(`expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after ${excerpt(pathText)}`);
    }
    this.next();
    const op = (opToken as Token & { kind: 'word' }).text.toLowerCase();
    if (op === 'pr') return { kind: 'present', path };
    const valueToken = this.next();
    const value = this.readValue(valueToken, op);
    if (ORDERING_OPS.has(op) && (typeof value === 'boolean' || value === null)) {
      this.fail(`"${op}" compares strings, numbers and dates, not ${String(value)}`, valueToken);
    }
    if (STRING_OPS.has(op) && typeof value !== 'string') {
      this.fail(`"${op}" needs a string value`, valueToken);
    }
    return { kind: 'compare', op: op as CompareOp, path, value };
  }

  readValue(token: Token, op: string): FilterValue {
    if (token.kind === 'string' || token.kind === 'number') return token.value;
    if (token.kind === 'word') {
      const lower = token.text.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      if (lower === 'null') return null;
    }
    return this.fail(`expected a value (a "quoted string", a number, true, false or null) after "${op}"`, token);
  }
}

function checkLength(input: string, makeError: MakeError, example: string): void {
  if (input.length > MAX_FILTER_LENGTH) throw makeError(`longer than ${MAX_FILTER_LENGTH} characters`);
  if (input.trim() === '') throw makeError(`it is empty (expected something like ${example})`);
}

/** Parses a SCIM filter (RFC 7644 §3.4.2.2); throws ScimError(400, 'invalidFilter') with a helpful detail. */
export function parseFilter(input: string): ScimFilter {
  if (typeof input !== 'string') throw filterError('not a string');
  checkLength(input, filterError, 'userName eq "bjensen"');
  const parser: Parser = new Parser(tokenize(input, filterError), filterError);
  const filter = parser.parseOr(false);
  const rest = parser.peek();
  if (rest.kind !== 'end') {
    parser.fail(rest.kind === ')' || rest.kind === ']' ? `unbalanced "${rest.kind}"` : 'expected "and", "or" or the end of the filter');
  }
  return filter;
}

/**
 * Parses a PATCH path (RFC 7644 §3.5.2 `attrPath / valuePath [subAttr]`): `name.givenName`,
 * `members[value eq "id"]`, `emails[type eq "work"].value`, URN-qualified paths. Throws invalidPath.
 */
export function parseAttrPath(input: string): ParsedAttrPath {
  if (typeof input !== 'string') throw pathError('not a string');
  checkLength(input, pathError, 'emails[type eq "work"].value');
  const parser: Parser = new Parser(tokenize(input, pathError), pathError);
  const first = parser.next();
  if (first.kind !== 'word') parser.fail('expected an attribute name', first);
  const path = parseAttrPathText(first.text, pathError);
  if (parser.peek().kind === 'end') return { path, valueFilter: null, subAttribute: null };
  if (parser.peek().kind !== '[') parser.fail('expected "[" or the end of the path');
  if (path.subAttribute !== null) throw pathError(`a value filter applies to a multi-valued attribute, not to ${excerpt(first.text)}`);
  parser.next();
  parser.enter();
  if (parser.peek().kind === ']') parser.fail('expected a filter inside "[...]"');
  // The filter between the brackets reports invalidPath too: it is part of the path.
  const valueFilter = parser.parseOr(true);
  parser.expect(']', '"["');
  let subAttribute: string | null = null;
  const after = parser.peek();
  if (after.kind === 'subAttr') {
    if (!NAME.test(after.text)) parser.fail('malformed sub-attribute', after);
    subAttribute = after.text.toLowerCase();
    parser.next();
  }
  if (parser.peek().kind !== 'end') parser.fail('expected the end of the path');
  return { path, valueFilter, subAttribute };
}
