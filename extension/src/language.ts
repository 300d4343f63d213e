/**
 * The jnsim equation language for CodeMirror 6: the stream parser of `tokenizer.ts`,
 * its token types mapped to standard Lezer highlight tags (which JupyterLab's editor
 * theme colours), and a highlighter that also puts a `cm-jnsim-<type>` class on each
 * token, so themes, users and tests can address the token types directly.
 *
 * No JupyterLab imports: this module is shared by the plugin and the unit tests.
 */
import {
  LanguageSupport,
  StreamLanguage,
  type StreamParser,
  syntaxHighlighting
} from '@codemirror/language';
import { Tag, tagHighlighter, tags } from '@lezer/highlight';

import { equationParser, type ITokenizerState, type TokenType } from './tokenizer';

/** The MIME type of equation cells. */
export const MIME_TYPE = 'text/x-jnsim-equations';

/** Name of the language in JupyterLab's editor language registry. */
export const LANGUAGE_NAME = 'jnsim-equations';

/**
 * The standard highlight tag of each token type: the tag that JupyterLab's default
 * highlight style (and most CodeMirror themes) colour.
 */
export const STANDARD_TAGS: Record<TokenType, Tag> = {
  magic: tags.meta,
  modelName: tags.definition(tags.className),
  option: tags.attributeName,
  optionValue: tags.atom,
  string: tags.string,
  comment: tags.lineComment,
  number: tags.number,
  operator: tags.operator,
  keyword: tags.operatorKeyword,
  bool: tags.bool,
  derivative: tags.operator,
  definition: tags.definition(tags.variableName),
  punctuation: tags.punctuation,
  paren: tags.paren,
  unit: tags.atom,
  flag: tags.modifier,
  special: tags.special(tags.variableName),
  function: tags.standard(tags.function(tags.variableName)),
  constant: tags.standard(tags.variableName),
  prePost: tags.propertyName,
  section: tags.keyword,
  variable: tags.variableName
};

/**
 * One extra tag per token type; only the jnsim highlighter below styles it (with the
 * class `cm-jnsim-<type>`), so it adds a class without changing the theme's colours.
 */
export const JNSIM_TAGS: Record<TokenType, Tag> = Object.fromEntries(
  Object.keys(STANDARD_TAGS).map(type => [type, Tag.define()])
) as Record<TokenType, Tag>;

/** CSS class that the jnsim highlighter gives tokens of `type`. */
export function tokenClass(type: TokenType): string {
  return `cm-jnsim-${type}`;
}

/** Highlighter giving each token its `cm-jnsim-<type>` class. */
export const jnsimHighlighter = tagHighlighter(
  (Object.keys(JNSIM_TAGS) as TokenType[]).map(type => ({
    tag: JNSIM_TAGS[type],
    class: tokenClass(type)
  }))
);

/** The stream parser with its token table (token type → tags). */
export const equationParserWithTags: StreamParser<ITokenizerState> = {
  ...equationParser,
  tokenTable: Object.fromEntries(
    (Object.keys(STANDARD_TAGS) as TokenType[]).map(type => [
      type,
      [STANDARD_TAGS[type], JNSIM_TAGS[type]]
    ])
  )
};

/** The equation language. */
export const equationLanguage = StreamLanguage.define(equationParserWithTags);

/** Language support: the language plus the `cm-jnsim-*` class highlighter. */
export function equationLanguageSupport(): LanguageSupport {
  return new LanguageSupport(equationLanguage, [syntaxHighlighting(jnsimHighlighter)]);
}
