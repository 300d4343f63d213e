import { StringStream } from '@codemirror/language';

import { equationParser, startState } from '../src/tokenizer';

/** One token of a tokenized cell. */
export interface IToken {
  line: number;
  from: number;
  to: number;
  text: string;
  type: string | null;
}

/** Run the stream parser's token function over `source`, line by line, as CodeMirror does. */
export function tokenize(source: string): IToken[] {
  const state = startState();
  const tokens: IToken[] = [];
  source.split('\n').forEach((line, lineNo) => {
    if (line === '') {
      equationParser.blankLine?.(state, 4);
      return;
    }
    const stream = new StringStream(line, 4, 4);
    while (!stream.eol()) {
      stream.start = stream.pos;
      const type = equationParser.token(stream, state);
      if (stream.pos <= stream.start) {
        throw new Error(`token() did not advance at line ${lineNo}, column ${stream.pos}`);
      }
      tokens.push({
        line: lineNo,
        from: stream.start,
        to: stream.pos,
        text: line.slice(stream.start, stream.pos),
        type
      });
    }
  });
  return tokens;
}

/**
 * The type of the token that covers the `occurrence`-th appearance of `word` (as a whole
 * word) on line `line` of `source`.
 */
export function typeAt(source: string, line: number, word: string, occurrence = 0): string | null {
  const text = source.split('\n')[line];
  if (text === undefined) {
    throw new Error(`no line ${line}`);
  }
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const before = /^\w/.test(word) ? '(?<!\\w)' : '';
  const after = /\w$/.test(word) ? '(?!\\w)' : '';
  const re = new RegExp(`${before}${escaped}${after}`, 'g');
  let match: RegExpExecArray | null = null;
  for (let k = 0; k <= occurrence; k++) {
    match = re.exec(text);
    if (!match) {
      throw new Error(`'${word}' (occurrence ${occurrence}) not found on line ${line}: ${text}`);
    }
  }
  const column = match!.index;
  const token = tokenize(source).find(t => t.line === line && t.from <= column && column < t.to);
  if (!token) {
    throw new Error(`no token at line ${line}, column ${column}`);
  }
  return token.type;
}

/** `[text, type]` pairs of the non-whitespace tokens of one line. */
export function lineTokens(source: string, line: number): Array<[string, string | null]> {
  return tokenize(source)
    .filter(t => t.line === line && t.text.trim() !== '')
    .map(t => [t.text, t.type]);
}
