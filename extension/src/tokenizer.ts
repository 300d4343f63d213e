/**
 * A CodeMirror 6 stream parser (tokenizer) for jnsim equation cells.
 *
 * A cell looks like
 *
 * ```
 * %%neuron LIF --threshold "v > -50*mV" --reset "v = -60*mV" --refractory 5*ms
 * # membrane
 * dv/dt = (v0 - v) / tau : volt (unless refractory)
 * v0 : volt (constant)
 * reset:
 *     v = -60*mV
 * ```
 *
 * The token function returns semantic token names (see {@link TokenType}); `language.ts`
 * maps them to Lezer highlight tags. This module only needs the `StringStream` interface
 * of `@codemirror/language`, so it can be driven line by line in unit tests.
 */
import type { IndentContext, StreamParser, StringStream } from '@codemirror/language';

import {
  BOOLEANS,
  CONSTANTS,
  FUNCTIONS,
  KEYWORDS,
  MAGIC_SWITCHES,
  METHODS,
  isFlag,
  isPrePostName,
  isSpecialSymbol,
  isUnitName
} from './vocabulary';

/** Token names returned by the token function. */
export type TokenType =
  | 'magic' // %%neuron / %%synapse
  | 'modelName' // the NAME after the magic
  | 'option' // --threshold, --method, ...
  | 'optionValue' // a bare word value of an option (`euler` in `--method euler`)
  | 'string' // quoted values
  | 'comment' // # ...
  | 'number' // 1e-3, .5, 10.
  | 'operator' // + - * / ** // % == != < <= > >= = += -= ...
  | 'keyword' // and, or, not
  | 'bool' // True, False
  | 'derivative' // the `d` and `/dt` of `dv/dt`
  | 'definition' // the variable defined on a left-hand side
  | 'punctuation' // : ,
  | 'paren' // ( ) [ ]
  | 'unit' // volt, mV, siemens, 1, boolean, integer
  | 'flag' // unless refractory, constant, event-driven, ...
  | 'special' // t, dt, xi, xi_1, i, j, N, lastspike, ...
  | 'function' // exp, sqrt, clip, rand, ...
  | 'constant' // pi, inf
  | 'prePost' // v_pre, w_post
  | 'section' // reset:, on_pre:, ...
  | 'variable'; // any other identifier

/** Where the tokenizer is within a statement. */
type Phase =
  | 'start' // before anything on a new statement
  | 'lhs' // on the left-hand side of an equation
  | 'expr' // after `=`: the right-hand side (may continue on the next line)
  | 'unit' // after ` : `: the unit specification
  | 'flags' // inside `(flag, flag)` at the end of an equation
  | 'done'; // after the flags: nothing more is expected

/** What the current line is. */
type LineKind = 'magic' | 'header' | 'equation' | 'code' | 'blank';

/** What the left-hand side of the current line looks like. */
type LhsPlan = 'none' | 'derivative' | 'name';

/** Tokenizer state; flat and of primitives so CodeMirror can copy it cheaply. */
export interface ITokenizerState {
  /** Whether a non-blank line has been seen (the magic line can only be the first). */
  seenContent: boolean;
  lineKind: LineKind;
  /** Tokens of the left-hand side still to come: plan and step within it. */
  lhs: LhsPlan;
  lhsStep: number;
  phase: Phase;
  /** Number of tokens seen in the current unit specification. */
  unitTokens: number;
  /** Open parentheses/brackets of the current statement. */
  parenDepth: number;
  /** Current block section (`reset`, `on_pre`, ...) or null in the equations. */
  section: string | null;
  /** Magic line: positional words seen, and the option whose value may come next. */
  magicWords: number;
  pendingOption: string | null;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z_0-9]*/;
const NUMBER = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const OPERATOR = /^(?:\*\*=?|\/\/=?|[=!<>]=|[-+*/%]=|[-+*/%<>=!])/;
const HEADER_LINE = /^([A-Za-z_]\w*)[ \t]*:[ \t]*(?:#.*)?$/;
const DERIVATIVE_LHS = /^[ \t]*d[A-Za-z_]\w*[ \t]*\/[ \t]*dt\b/;
const ASSIGNMENT_LHS = /^[ \t]*[A-Za-z_]\w*[ \t]*(?:\*\*|\/\/|[-+*/%])?=(?!=)/;
const PARAMETER_LHS = /^[ \t]*[A-Za-z_]\w*[ \t]*:/;
const FLAG_WORDS = String.raw`[A-Za-z][\w-]*(?:[ \t]+[A-Za-z][\w-]*)*`;
const FLAG_LIST = new RegExp(
  String.raw`^\([ \t]*${FLAG_WORDS}(?:[ \t]*,[ \t]*${FLAG_WORDS})*[ \t]*,?[ \t]*\)?[ \t]*(?:#.*)?$`
);
const MULTI_WORD_FLAG = /^(?:unless[ \t]+refractory|constant[ \t]+over[ \t]+dt)\b/;

/** A fresh tokenizer state for the start of a cell. */
export function startState(): ITokenizerState {
  return {
    seenContent: false,
    lineKind: 'blank',
    lhs: 'none',
    lhsStep: 0,
    phase: 'start',
    unitTokens: 0,
    parenDepth: 0,
    section: null,
    magicWords: 0,
    pendingOption: null
  };
}

/** Classify a line when the stream is at its start; updates `state`. */
function startLine(line: string, state: ITokenizerState): void {
  state.lhs = 'none';
  state.lhsStep = 0;
  state.pendingOption = null;
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) {
    state.lineKind = 'blank';
    return;
  }
  if (!state.seenContent) {
    state.seenContent = true;
    if (/^[ \t]*%%/.test(line)) {
      state.lineKind = 'magic';
      state.magicWords = 0;
      return;
    }
  }
  if (state.parenDepth > 0) {
    // Inside open parentheses: a continuation of the statement above.
    return;
  }
  const indented = /^[ \t]/.test(line);
  if (!indented && HEADER_LINE.test(line)) {
    state.lineKind = 'header';
    state.section = HEADER_LINE.exec(line)![1];
    state.phase = 'start';
    return;
  }
  if (!indented && state.section !== null) {
    // Leaving a block section: its last statement has ended.
    state.section = null;
    state.phase = 'start';
  }
  if (state.section !== null) {
    // A statement of a block section: one statement per line.
    state.lineKind = 'code';
    state.phase = 'expr';
    state.lhs = ASSIGNMENT_LHS.test(line) ? 'name' : 'none';
    return;
  }
  state.lineKind = 'equation';
  if (DERIVATIVE_LHS.test(line)) {
    state.lhs = 'derivative';
  } else if (ASSIGNMENT_LHS.test(line)) {
    state.lhs = 'name';
  } else if (PARAMETER_LHS.test(line) && state.phase !== 'expr') {
    state.lhs = 'name';
  } else if (state.phase === 'expr') {
    // The right-hand side of the equation above goes on.
    return;
  } else {
    state.phase = 'start';
    return;
  }
  state.phase = 'lhs';
  state.unitTokens = 0;
}

/** Read a quoted string (the opening quote is next); an unterminated one ends the line. */
function readString(stream: StringStream): void {
  const quote = stream.next();
  let escaped = false;
  let ch: string | void;
  while ((ch = stream.next()) !== undefined) {
    if (ch === quote && !escaped) {
      return;
    }
    escaped = !escaped && ch === '\\';
  }
}

/** Classify an identifier in an expression. */
function classifyWord(word: string, state: ITokenizerState): TokenType {
  if (state.phase === 'unit') {
    return isUnitName(word, true) ? 'unit' : 'variable';
  }
  if (KEYWORDS.has(word)) {
    return 'keyword';
  }
  if (BOOLEANS.has(word)) {
    return 'bool';
  }
  if (isSpecialSymbol(word)) {
    return 'special';
  }
  if (FUNCTIONS.has(word)) {
    return 'function';
  }
  if (CONSTANTS.has(word)) {
    return 'constant';
  }
  if (isPrePostName(word)) {
    return 'prePost';
  }
  if (isUnitName(word)) {
    return 'unit';
  }
  return 'variable';
}

/** Tokens of the `%%neuron NAME --option value ...` line. */
function magicToken(stream: StringStream, state: ITokenizerState): TokenType | null {
  if (stream.match(/^%%[\w-]*/)) {
    return 'magic';
  }
  const ch = stream.peek()!;
  if (ch === '#' && (stream.pos === 0 || /\s/.test(stream.string[stream.pos - 1]))) {
    stream.skipToEnd();
    return 'comment';
  }
  const option = stream.match(/^--?[A-Za-z][\w-]*/) as RegExpMatchArray | null;
  if (option) {
    state.pendingOption = MAGIC_SWITCHES.has(option[0]) ? null : option[0];
    return 'option';
  }
  if (ch === '=' && state.pendingOption !== null) {
    stream.next();
    return 'operator';
  }
  const pending = state.pendingOption;
  state.pendingOption = null;
  if (ch === '"' || ch === "'") {
    readString(stream);
    return 'string';
  }
  const word = stream.match(IDENTIFIER) as RegExpMatchArray | null;
  if (word) {
    if (pending !== null) {
      return pending === '--method' && !METHODS.has(word[0]) ? 'variable' : 'optionValue';
    }
    if (state.magicWords++ === 0) {
      return 'modelName';
    }
    return classifyWord(word[0], state);
  }
  if (stream.match(NUMBER)) {
    return 'number';
  }
  if (stream.match(OPERATOR)) {
    return 'operator';
  }
  stream.next();
  return /[()[\]]/.test(ch) ? 'paren' : ch === ',' || ch === ':' ? 'punctuation' : null;
}

/** Tokens of the left-hand side: `d`, name, `/dt` of `dv/dt`, or the defined name. */
function lhsToken(stream: StringStream, state: ITokenizerState): TokenType | null {
  if (state.lhs === 'derivative') {
    if (state.lhsStep === 0 && stream.match(/^d(?=[A-Za-z_])/)) {
      state.lhsStep = 1;
      return 'derivative';
    }
    if (state.lhsStep === 1 && stream.match(IDENTIFIER)) {
      state.lhsStep = 2;
      return 'definition';
    }
    if (state.lhsStep === 2 && stream.match(/^\/[ \t]*dt\b/)) {
      state.lhs = 'none';
      return 'derivative';
    }
  } else if (state.lhs === 'name' && stream.match(IDENTIFIER)) {
    state.lhs = 'none';
    return 'definition';
  }
  state.lhs = 'none';
  return null;
}

/** Tokens inside `(flag, flag)` after a unit. */
function flagToken(stream: StringStream, state: ITokenizerState): TokenType | null {
  const multi = stream.match(MULTI_WORD_FLAG) as RegExpMatchArray | null;
  if (multi) {
    return 'flag';
  }
  const word = stream.match(/^[A-Za-z][\w-]*/) as RegExpMatchArray | null;
  if (word) {
    return isFlag(word[0]) ? 'flag' : 'variable';
  }
  const ch = stream.next()!;
  if (ch === ')') {
    state.phase = 'done';
    return 'paren';
  }
  return ch === ',' ? 'punctuation' : null;
}

/** The token function of the stream parser. */
export function token(stream: StringStream, state: ITokenizerState): TokenType | null {
  if (stream.sol()) {
    startLine(stream.string, state);
  }
  if (stream.eatSpace()) {
    return null;
  }
  if (stream.peek() === '#') {
    stream.skipToEnd();
    return 'comment';
  }
  if (state.lineKind === 'magic') {
    return magicToken(stream, state);
  }
  if (state.lineKind === 'header') {
    if (stream.match(IDENTIFIER)) {
      return 'section';
    }
    stream.next();
    return 'punctuation';
  }
  if (state.lhs !== 'none') {
    const lhs = lhsToken(stream, state);
    if (lhs !== null) {
      return lhs;
    }
  }
  if (state.phase === 'flags') {
    return flagToken(stream, state);
  }
  const ch = stream.peek()!;
  if (ch === '"' || ch === "'") {
    readString(stream);
    return 'string';
  }
  const number = stream.match(NUMBER) as RegExpMatchArray | null;
  if (number) {
    if (state.phase === 'unit') {
      const isUnit = state.unitTokens === 0 && number[0] === '1';
      state.unitTokens++;
      return isUnit ? 'unit' : 'number';
    }
    return 'number';
  }
  const word = stream.match(IDENTIFIER) as RegExpMatchArray | null;
  if (word) {
    if (state.phase === 'unit') {
      state.unitTokens++;
    }
    return classifyWord(word[0], state);
  }
  if (ch === ':' && state.lineKind === 'equation' && state.parenDepth === 0) {
    stream.next();
    if (state.phase === 'lhs' || state.phase === 'expr') {
      state.phase = 'unit';
      state.unitTokens = 0;
    }
    return 'punctuation';
  }
  if (
    ch === '(' &&
    state.phase === 'unit' &&
    state.unitTokens > 0 &&
    state.parenDepth === 0 &&
    FLAG_LIST.test(stream.string.slice(stream.pos))
  ) {
    stream.next();
    state.phase = 'flags';
    return 'paren';
  }
  if (ch === '(' || ch === '[') {
    stream.next();
    state.parenDepth++;
    return 'paren';
  }
  if (ch === ')' || ch === ']') {
    stream.next();
    state.parenDepth = Math.max(0, state.parenDepth - 1);
    return 'paren';
  }
  if (stream.match(OPERATOR)) {
    if (state.phase === 'lhs' && state.parenDepth === 0) {
      state.phase = 'expr';
    } else if (state.phase === 'unit') {
      state.unitTokens++;
    }
    return 'operator';
  }
  stream.next();
  return ch === ',' || ch === ':' || ch === ';' ? 'punctuation' : null;
}

/** Indentation for a new line: one unit inside a block section or open parentheses. */
function indent(state: ITokenizerState, textAfter: string, context: IndentContext): number | null {
  if (state.parenDepth > 0) {
    return context.unit;
  }
  if (state.section !== null && !HEADER_LINE.test(textAfter)) {
    return context.unit;
  }
  return null;
}

/** The stream parser, without highlight tags (see `language.ts` for those). */
export const equationParser: StreamParser<ITokenizerState> = {
  name: 'jnsim-equations',
  startState,
  token,
  indent,
  languageData: {
    commentTokens: { line: '#' },
    closeBrackets: { brackets: ['(', '[', '"', "'"] }
  }
};
