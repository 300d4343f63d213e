import { type IndentContext, StringStream } from '@codemirror/language';
import { describe, expect, it } from 'vitest';

import { equationParser, startState } from '../src/tokenizer';
import { lineTokens, tokenize, typeAt } from './helpers';

const LIF = `%%neuron LIF --threshold "v > -50*mV" --reset 'v = -60*mV' --refractory 5*ms --method exact
# leaky integrate-and-fire neuron
dv/dt = (v0 - v) / tau + I/C_m : volt (unless refractory)
v0 : volt (constant)
tau : second (shared, constant)
I : amp
C_m : farad`;

describe('LIF neuron with a refractory flag', () => {
  it('marks the magic, the model name and the options', () => {
    expect(typeAt(LIF, 0, '%%neuron')).toBe('magic');
    expect(typeAt(LIF, 0, 'LIF')).toBe('modelName');
    expect(typeAt(LIF, 0, '--threshold')).toBe('option');
    expect(typeAt(LIF, 0, '--reset')).toBe('option');
    expect(typeAt(LIF, 0, '--refractory')).toBe('option');
    expect(typeAt(LIF, 0, '--method')).toBe('option');
  });

  it('marks quoted option values as strings', () => {
    expect(typeAt(LIF, 0, '"v > -50*mV"')).toBe('string');
    expect(typeAt(LIF, 0, "'v = -60*mV'")).toBe('string');
    // The string is one token, quotes included.
    expect(lineTokens(LIF, 0)).toContainEqual(['"v > -50*mV"', 'string']);
  });

  it('tokenizes bare option values', () => {
    expect(lineTokens(LIF, 0)).toEqual(
      expect.arrayContaining([
        ['5', 'number'],
        ['*', 'operator'],
        ['ms', 'unit'],
        ['exact', 'optionValue']
      ])
    );
  });

  it('marks comments', () => {
    expect(lineTokens(LIF, 1)).toEqual([['# leaky integrate-and-fire neuron', 'comment']]);
  });

  it('splits the derivative on the left-hand side', () => {
    expect(lineTokens(LIF, 2).slice(0, 4)).toEqual([
      ['d', 'derivative'],
      ['v', 'definition'],
      ['/dt', 'derivative'],
      ['=', 'operator']
    ]);
  });

  it('marks the right-hand side, unit and flag', () => {
    expect(typeAt(LIF, 2, 'v0')).toBe('variable');
    expect(typeAt(LIF, 2, 'v')).toBe('variable'); // the v in (v0 - v)
    expect(typeAt(LIF, 2, 'tau')).toBe('variable');
    expect(typeAt(LIF, 2, ':')).toBe('punctuation');
    expect(typeAt(LIF, 2, 'volt')).toBe('unit');
    expect(typeAt(LIF, 2, 'unless')).toBe('flag');
    expect(typeAt(LIF, 2, 'refractory')).toBe('flag');
    // "unless refractory" is a single flag token
    expect(lineTokens(LIF, 2)).toContainEqual(['unless refractory', 'flag']);
    expect(lineTokens(LIF, 2).at(-1)).toEqual([')', 'paren']);
  });

  it('marks parameters, their units and flags', () => {
    expect(lineTokens(LIF, 3)).toEqual([
      ['v0', 'definition'],
      [':', 'punctuation'],
      ['volt', 'unit'],
      ['(', 'paren'],
      ['constant', 'flag'],
      [')', 'paren']
    ]);
    expect(lineTokens(LIF, 4)).toEqual([
      ['tau', 'definition'],
      [':', 'punctuation'],
      ['second', 'unit'],
      ['(', 'paren'],
      ['shared', 'flag'],
      [',', 'punctuation'],
      ['constant', 'flag'],
      [')', 'paren']
    ]);
    expect(typeAt(LIF, 5, 'I')).toBe('definition');
    expect(typeAt(LIF, 5, 'amp')).toBe('unit');
    expect(typeAt(LIF, 6, 'C_m')).toBe('definition');
    expect(typeAt(LIF, 6, 'farad')).toBe('unit');
  });
});

const STDP = `%%synapse STDP --on-pre "ge_post += w; apre += dApre; w = clip(w + apost, 0, wmax)" --on-post="apost += dApost" --delay 1*ms
w : 1
dapre/dt = -apre / taupre : 1 (event-driven)
dapost/dt = -apost / taupost : 1 (clock-driven)
g_syn = w * v_pre * exp(-(t - lastspike_pre)/tau) : siemens (summed)
I_syn_post = g_syn * (E - v_post) : amp (summed)`;

describe('synapse with event-driven equations and pre/post names', () => {
  it('marks the magic line', () => {
    expect(typeAt(STDP, 0, '%%synapse')).toBe('magic');
    expect(typeAt(STDP, 0, 'STDP')).toBe('modelName');
    expect(typeAt(STDP, 0, '--on-pre')).toBe('option');
    expect(typeAt(STDP, 0, '--on-post')).toBe('option');
    expect(typeAt(STDP, 0, '"apost += dApost"')).toBe('string');
    expect(typeAt(STDP, 0, '--delay')).toBe('option');
    expect(lineTokens(STDP, 0)).toContainEqual(['=', 'operator']);
  });

  it('marks the dimensionless unit 1', () => {
    expect(lineTokens(STDP, 1)).toEqual([
      ['w', 'definition'],
      [':', 'punctuation'],
      ['1', 'unit']
    ]);
  });

  it('marks event-driven and clock-driven flags', () => {
    expect(lineTokens(STDP, 2).slice(0, 3)).toEqual([
      ['d', 'derivative'],
      ['apre', 'definition'],
      ['/dt', 'derivative']
    ]);
    expect(typeAt(STDP, 2, 'event-driven')).toBe('flag');
    expect(lineTokens(STDP, 2)).toContainEqual(['event-driven', 'flag']);
    expect(typeAt(STDP, 2, '1')).toBe('unit');
    expect(typeAt(STDP, 2, 'apre')).toBe('variable'); // on the right-hand side
    expect(lineTokens(STDP, 3)).toContainEqual(['clock-driven', 'flag']);
  });

  it('marks _pre/_post names, functions and special symbols', () => {
    expect(typeAt(STDP, 4, 'g_syn')).toBe('definition');
    expect(typeAt(STDP, 4, 'v_pre')).toBe('prePost');
    expect(typeAt(STDP, 4, 'lastspike_pre')).toBe('prePost');
    expect(typeAt(STDP, 4, 'exp')).toBe('function');
    expect(typeAt(STDP, 4, 't')).toBe('special');
    expect(typeAt(STDP, 4, 'summed')).toBe('flag');
    expect(typeAt(STDP, 5, 'I_syn_post')).toBe('definition');
    expect(typeAt(STDP, 5, 'v_post')).toBe('prePost');
    expect(typeAt(STDP, 5, 'amp')).toBe('unit');
  });
});

const HH = `%%neuron HH --threshold "v > -40*mV" --refractory "v > -40*mV" --show-code --quiet
dv/dt = (gl*(El - v) - g_na*(m*m*m)*h*(v - ENa)
         - g_kd*(n*n*n*n)*(v - EK) + I) / Cm : volt
dm/dt = 0.32*(mV**-1)*4*mV/exprel((13.*mV - v + VT)/(4*mV))/ms*(1 - m)
        - 0.28*(mV**-1)*5*mV/exprel((v - VT - 40*mV)/(5*mV))/ms*m : 1
dh/dt = 0.128*exp((17*mV - v + VT)/(18*mV))/ms*(1 - h)
        - 4/(1 + exp((40*mV - v + VT)/(5*mV)))/ms*h : 1
I : amp
gl : siemens/meter**2
Cm : farad/meter**2 (constant)`;

describe('multi-line equations and compound units', () => {
  it('treats switches as options without values', () => {
    expect(typeAt(HH, 0, '--show-code')).toBe('option');
    expect(typeAt(HH, 0, '--quiet')).toBe('option');
  });

  it('keeps continuation lines on the right-hand side', () => {
    // line 2 continues line 1: `g_kd` is a variable, not a definition
    expect(typeAt(HH, 2, 'g_kd')).toBe('variable');
    expect(typeAt(HH, 2, 'volt')).toBe('unit');
    expect(typeAt(HH, 2, 'Cm')).toBe('variable');
    expect(typeAt(HH, 1, 'El')).toBe('variable');
    // `m` and `h` are gating variables, not metres/henries, outside a unit
    expect(typeAt(HH, 1, 'm')).toBe('variable');
    expect(typeAt(HH, 1, 'h')).toBe('variable');
  });

  it('marks derivatives and units in expressions', () => {
    expect(lineTokens(HH, 3).slice(0, 3)).toEqual([
      ['d', 'derivative'],
      ['m', 'definition'],
      ['/dt', 'derivative']
    ]);
    expect(typeAt(HH, 3, 'mV')).toBe('unit');
    expect(typeAt(HH, 3, 'ms')).toBe('unit');
    expect(typeAt(HH, 3, 'exprel')).toBe('function');
    expect(typeAt(HH, 3, '**')).toBe('operator');
    expect(typeAt(HH, 4, '1')).toBe('number'); // in mV**-1
    expect(lineTokens(HH, 4).at(-1)).toEqual(['1', 'unit']);
    expect(typeAt(HH, 4, '0.28')).toBe('number');
    expect(lineTokens(HH, 5)[1]).toEqual(['h', 'definition']);
    expect(typeAt(HH, 6, '4')).toBe('number');
  });

  it('marks compound units', () => {
    expect(lineTokens(HH, 8)).toEqual([
      ['gl', 'definition'],
      [':', 'punctuation'],
      ['siemens', 'unit'],
      ['/', 'operator'],
      ['meter', 'unit'],
      ['**', 'operator'],
      ['2', 'number']
    ]);
    expect(typeAt(HH, 9, 'farad')).toBe('unit');
    expect(typeAt(HH, 9, 'meter')).toBe('unit');
    expect(typeAt(HH, 9, 'constant')).toBe('flag');
  });
});

describe('numbers', () => {
  it.each(['1e-3', '.5', '10.', '3.14', '2E+5', '0'])('reads %s as one number', text => {
    const src = `%%neuron G\nx = ${text} : 1`;
    expect(lineTokens(src, 1)[2]).toEqual([text, 'number']);
  });
});

describe('comments', () => {
  const src = `%%neuron G  # a comment on the magic line
# a comment line
dv/dt = -v/tau : volt  # trailing comment with : volt (constant)
   # indented comment
tau : second`;

  it('marks comments everywhere', () => {
    expect(typeAt(src, 0, '# a comment on the magic line')).toBe('comment');
    expect(lineTokens(src, 1)).toEqual([['# a comment line', 'comment']]);
    expect(lineTokens(src, 2).at(-1)).toEqual(['# trailing comment with : volt (constant)', 'comment']);
    expect(lineTokens(src, 3)).toEqual([['# indented comment', 'comment']]);
  });

  it('does not let a comment end the equation list', () => {
    expect(typeAt(src, 4, 'tau')).toBe('definition');
    expect(typeAt(src, 4, 'second')).toBe('unit');
  });
});

describe('expressions', () => {
  const src = `%%neuron G --threshold "v > vt" --method euler
dv/dt = (mu - v)/tau + sigma*sqrt(2/tau)*xi_noise : volt
dw/dt = -w/tau_w + 0.1*xi : 1
active = (v > -60*mV) and not (w < 0) or t_in_timesteps >= N : boolean
count : integer
ratio = i * 1.0 / N_post + j / N_pre + pi : 1
pos : metre
use = not_refractory and rand() < 0.5 and lastupdate <= t : boolean
rate = 10*Hz + 5*kHz + 2*nS/pF : Hz`;

  it('marks special symbols and noise', () => {
    expect(typeAt(src, 1, 'xi_noise')).toBe('special');
    expect(typeAt(src, 2, 'xi')).toBe('special');
    expect(typeAt(src, 3, 't_in_timesteps')).toBe('special');
    expect(typeAt(src, 3, 'N')).toBe('special');
    expect(typeAt(src, 5, 'i')).toBe('special');
    expect(typeAt(src, 5, 'j')).toBe('special');
    expect(typeAt(src, 5, 'N_post')).toBe('special');
    expect(typeAt(src, 5, 'N_pre')).toBe('special');
    expect(typeAt(src, 7, 'not_refractory')).toBe('special');
    expect(typeAt(src, 7, 'lastupdate')).toBe('special');
    expect(typeAt(src, 7, 't')).toBe('special');
  });

  it('marks keywords, functions and constants', () => {
    expect(typeAt(src, 3, 'and')).toBe('keyword');
    expect(typeAt(src, 3, 'not')).toBe('keyword');
    expect(typeAt(src, 3, 'or')).toBe('keyword');
    expect(typeAt(src, 7, 'rand')).toBe('function');
    expect(typeAt(src, 1, 'sqrt')).toBe('function');
    expect(typeAt(src, 5, 'pi')).toBe('constant');
  });

  it('marks comparison operators', () => {
    expect(typeAt(src, 3, '>=')).toBe('operator');
    expect(typeAt(src, 7, '<=')).toBe('operator');
    expect(lineTokens(src, 7)).toContainEqual(['<', 'operator']);
  });

  it('marks the special units boolean and integer', () => {
    expect(typeAt(src, 3, 'boolean')).toBe('unit');
    expect(typeAt(src, 4, 'integer')).toBe('unit');
    expect(typeAt(src, 6, 'metre')).toBe('unit');
  });

  it('marks units everywhere in expressions', () => {
    expect(typeAt(src, 3, 'mV')).toBe('unit');
    expect(typeAt(src, 8, 'Hz')).toBe('unit');
    expect(typeAt(src, 8, 'kHz')).toBe('unit');
    expect(typeAt(src, 8, 'nS')).toBe('unit');
    expect(typeAt(src, 8, 'pF')).toBe('unit');
    expect(typeAt(src, 8, 'Hz', 1)).toBe('unit');
  });

  it('marks method names after --method', () => {
    expect(typeAt(src, 0, 'euler')).toBe('optionValue');
  });
});

describe('block sections for multi-statement code', () => {
  const src = `%%neuron AdEx --threshold "v > 0*mV"
dv/dt = (-(v - EL) + DeltaT*exp((v - VT)/DeltaT) - w) / tau_m : volt
dw/dt = (a*(v - EL) - w) / tau_w : amp
reset:
    v = Vr
    w += b  # adaptation
on_pre:
    ge_post += we
x : 1`;

  it('marks section headers as keywords', () => {
    expect(lineTokens(src, 3)).toEqual([
      ['reset', 'section'],
      [':', 'punctuation']
    ]);
    expect(typeAt(src, 6, 'on_pre')).toBe('section');
  });

  it('marks statement targets and operators', () => {
    expect(lineTokens(src, 4)).toEqual([
      ['v', 'definition'],
      ['=', 'operator'],
      ['Vr', 'variable']
    ]);
    expect(lineTokens(src, 5)).toEqual([
      ['w', 'definition'],
      ['+=', 'operator'],
      ['b', 'variable'],
      ['# adaptation', 'comment']
    ]);
    expect(lineTokens(src, 7)).toEqual([
      ['ge_post', 'definition'],
      ['+=', 'operator'],
      ['we', 'variable']
    ]);
  });

  it('returns to equations after an unindented line', () => {
    expect(lineTokens(src, 8)).toEqual([
      ['x', 'definition'],
      [':', 'punctuation'],
      ['1', 'unit']
    ]);
  });
});

describe('robustness', () => {
  it('advances on arbitrary input', () => {
    const junk = '%%neuron\n@@ $$ ` ? ~ ^ & | \\ "unterminated\n\'also unterminated\n(((\n)))) :: (\n';
    expect(() => tokenize(junk)).not.toThrow();
  });

  it('tokenizes a cell without a magic line as equations', () => {
    const src = 'dv/dt = -v/tau : volt';
    expect(lineTokens(src, 0)[1]).toEqual(['v', 'definition']);
    expect(typeAt(src, 0, 'v')).toBe('variable');
    expect(typeAt(src, 0, 'volt')).toBe('unit');
  });

  it('treats a magic with no name', () => {
    expect(lineTokens('%%neuron', 0)).toEqual([['%%neuron', 'magic']]);
  });
});

describe('indentation', () => {
  function stateAfter(source: string) {
    const state = startState();
    for (const line of source.split('\n')) {
      if (line === '') {
        continue;
      }
      const stream = new StringStream(line, 4, 4);
      while (!stream.eol()) {
        stream.start = stream.pos;
        equationParser.token(stream, state);
      }
    }
    return state;
  }
  const context = { unit: 4 } as IndentContext;

  it('indents the statements of a block section', () => {
    expect(equationParser.indent!(stateAfter('%%neuron G\nreset:'), '', context)).toBe(4);
    expect(equationParser.indent!(stateAfter('%%neuron G\nreset:\n    v = 0'), '', context)).toBe(4);
  });

  it('indents inside open parentheses', () => {
    expect(equationParser.indent!(stateAfter('%%neuron G\ndv/dt = (a +'), '', context)).toBe(4);
  });

  it('has no opinion elsewhere', () => {
    expect(equationParser.indent!(stateAfter('%%neuron G\nv : volt'), '', context)).toBeNull();
  });
});
