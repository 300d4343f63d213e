import { describe, expect, it } from 'vitest';
import { highlightTree, classHighlighter, tags } from '@lezer/highlight';

import {
  equationLanguage,
  equationLanguageSupport,
  jnsimHighlighter,
  MIME_TYPE,
  STANDARD_TAGS
} from '../src/language';
import { isEquationCell, isUnitName } from '../src/vocabulary';

/** Map each highlighted range of `source` to its classes under `highlighter`. */
function highlighted(source: string, highlighter = jnsimHighlighter): Map<string, string> {
  const tree = equationLanguage.parser.parse(source);
  const spans = new Map<string, string>();
  highlightTree(tree, highlighter, (from, to, classes) => {
    spans.set(source.slice(from, to), classes);
  });
  return spans;
}

const CELL = `%%neuron LIF --threshold "v > -50*mV"
dv/dt = (v0 - v) / tau : volt (unless refractory)  # leak
reset:
    v = v0`;

describe('the CodeMirror language', () => {
  it('puts cm-jnsim-<type> classes on tokens', () => {
    const spans = highlighted(CELL);
    expect(spans.get('%%neuron')).toBe('cm-jnsim-magic');
    expect(spans.get('LIF')).toBe('cm-jnsim-modelName');
    expect(spans.get('--threshold')).toBe('cm-jnsim-option');
    expect(spans.get('"v > -50*mV"')).toBe('cm-jnsim-string');
    expect(spans.get('volt')).toBe('cm-jnsim-unit');
    expect(spans.get('unless refractory')).toBe('cm-jnsim-flag');
    expect(spans.get('# leak')).toBe('cm-jnsim-comment');
    expect(spans.get('reset')).toBe('cm-jnsim-section');
    expect(spans.get('/dt')).toBe('cm-jnsim-derivative');
  });

  it('maps tokens to standard highlight tags', () => {
    // classHighlighter styles the standard tags only (tok-*), like a theme would.
    const spans = highlighted(CELL, classHighlighter);
    expect(spans.get('%%neuron')).toBe('tok-meta');
    expect(spans.get('"v > -50*mV"')).toBe('tok-string');
    expect(spans.get('# leak')).toBe('tok-comment');
    expect(spans.get('volt')).toBe('tok-atom');
    expect(spans.get('unless refractory')).toBe('tok-keyword');
    expect(spans.get('reset')).toBe('tok-keyword');
    expect(spans.get('LIF')).toBe('tok-className');
    expect(spans.get('=')).toBe('tok-operator');
  });

  it('uses tags that JupyterLab colours', () => {
    expect(STANDARD_TAGS.unit).toBe(tags.atom);
    expect(STANDARD_TAGS.flag).toBe(tags.modifier);
    expect(STANDARD_TAGS.comment).toBe(tags.lineComment);
    expect(STANDARD_TAGS.special).toBe(tags.special(tags.variableName));
    expect(STANDARD_TAGS.function).toBe(tags.standard(tags.function(tags.variableName)));
  });

  it('provides language support with comment tokens', () => {
    const support = equationLanguageSupport();
    expect(support.language).toBe(equationLanguage);
    expect(support.language.name).toBe('jnsim-equations');
    expect(MIME_TYPE).toBe('text/x-jnsim-equations');
  });
});

describe('isEquationCell', () => {
  it.each([
    ['%%neuron G\ndv/dt = -v/tau : 1', true],
    ['%%synapse S --on-pre "v += w"', true],
    ['%%neuron', true],
    ['\n  \n%%neuron G', true],
    ['%%neurons G', false],
    ['%%timeit\nx = 1', false],
    [' %%neuron G', false],
    ['# comment\n%%neuron G', false],
    ['x = 1\n%%neuron G', false],
    ['', false]
  ])('%j -> %s', (source, expected) => {
    expect(isEquationCell(source)).toBe(expected);
  });
});

describe('unit names', () => {
  it('knows full, prefixed and compound-friendly names', () => {
    for (const name of ['volt', 'mV', 'mvolt', 'millivolt', 'siemens', 'nS', 'farad', 'pF',
      'second', 'ms', 'msecond', 'Hz', 'kHz', 'amp', 'nA', 'metre', 'meter', 'um', 'cm2',
      'umetre2', 'Mohm', 'ohm', 'mM', 'molar', 'mmolar', 'kg']) {
      expect(isUnitName(name), name).toBe(true);
    }
  });

  it('takes bare symbols as units only in a unit specification', () => {
    for (const name of ['V', 'S', 'F', 'A', 'm', 's', 'g', 'C', 'N', 'h', 'n', 'El', 'Em', 'tau']) {
      expect(isUnitName(name), name).toBe(false);
    }
    for (const name of ['V', 'S', 'F', 'A', 'm', 's', '1', 'boolean', 'integer']) {
      expect(isUnitName(name, true), name).toBe(true);
    }
  });
});
