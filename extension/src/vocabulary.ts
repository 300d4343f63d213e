/**
 * Word lists of the jnsim equation language (Brian 2's equation strings plus the
 * `%%neuron` / `%%synapse` magic line).
 *
 * Pure data and predicates: no CodeMirror or JupyterLab imports.
 */

/** Cell magics whose cells are written in the equation language. */
export const CELL_MAGICS: readonly string[] = ['neuron', 'synapse'];

/** Options of the magic line that take no value. */
export const MAGIC_SWITCHES: ReadonlySet<string> = new Set([
  '--show-code',
  '--quiet',
  '-q',
  '--verbose',
  '-v',
  '--help',
  '-h'
]);

/** Options of the magic line that jnsim documents (others are still highlighted). */
export const MAGIC_OPTIONS: ReadonlySet<string> = new Set([
  '--threshold',
  '--reset',
  '--refractory',
  '--method',
  '--on-pre',
  '--on-post',
  '--delay',
  '--dt',
  '--namespace',
  ...MAGIC_SWITCHES
]);

/** Integration methods, highlighted as values after `--method`. */
export const METHODS: ReadonlySet<string> = new Set([
  'exact',
  'linear',
  'independent',
  'exponential_euler',
  'euler',
  'rk2',
  'midpoint',
  'rk4',
  'heun',
  'milstein',
  'gsl'
]);

/** Boolean/logical keywords of expressions. */
export const KEYWORDS: ReadonlySet<string> = new Set(['and', 'or', 'not']);

/** Boolean literals. */
export const BOOLEANS: ReadonlySet<string> = new Set(['True', 'False', 'true', 'false']);

/** Special symbols with a fixed meaning in equations and statements. */
export const SPECIAL_SYMBOLS: ReadonlySet<string> = new Set([
  't',
  'dt',
  'xi',
  'i',
  'j',
  'N',
  'N_pre',
  'N_post',
  'N_incoming',
  'N_outgoing',
  'lastspike',
  'lastupdate',
  'not_refractory',
  't_in_timesteps'
]);

/** Default functions available in every equation string. */
export const FUNCTIONS: ReadonlySet<string> = new Set([
  'exp',
  'log',
  'log10',
  'sqrt',
  'abs',
  'clip',
  'sin',
  'cos',
  'tan',
  'sinh',
  'cosh',
  'tanh',
  'arcsin',
  'arccos',
  'arctan',
  'floor',
  'ceil',
  'sign',
  'int',
  'exprel',
  'expm1',
  'log1p',
  'rand',
  'randn',
  'poisson',
  'timestep'
]);

/** Default constants. */
export const CONSTANTS: ReadonlySet<string> = new Set(['pi', 'inf']);

/** Flags that may qualify an equation: `... : unit (flag, flag)`. */
export const FLAGS: ReadonlySet<string> = new Set([
  'unless refractory',
  'constant',
  'constant over dt',
  'shared',
  'linked',
  'event-driven',
  'clock-driven',
  'summed'
]);

/** Dimensionless "units" of a unit specification (`: 1`, `: boolean`, `: integer`). */
export const SPECIAL_UNITS: ReadonlySet<string> = new Set(['1', 'boolean', 'integer']);

const FULL_UNIT_NAMES = [
  'metre',
  'meter',
  'gram',
  'gramme',
  'second',
  'amp',
  'ampere',
  'kelvin',
  'mole',
  'mol',
  'candela',
  'radian',
  'steradian',
  'hertz',
  'newton',
  'pascal',
  'joule',
  'watt',
  'coulomb',
  'volt',
  'farad',
  'ohm',
  'siemens',
  'weber',
  'tesla',
  'henry',
  'lumen',
  'lux',
  'becquerel',
  'gray',
  'sievert',
  'katal',
  'molar',
  'liter',
  'litre'
];

const SHORT_PREFIXES = [
  'y', 'z', 'a', 'f', 'p', 'n', 'u', 'm', 'c', 'd', 'da', 'h', 'k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'
];

const LONG_PREFIXES = [
  'yocto', 'zepto', 'atto', 'femto', 'pico', 'nano', 'micro', 'milli', 'centi', 'deci', 'deca',
  'deka', 'hecto', 'kilo', 'mega', 'giga', 'tera', 'peta', 'exa', 'zetta', 'yotta'
];

/**
 * Unit symbols. Alone, most of them are also common variable names (`V`, `C`, `m`, `g`),
 * so unprefixed symbols count as units only inside a unit specification.
 */
const UNIT_SYMBOLS = [
  'm', 'g', 's', 'A', 'K', 'mol', 'cd', 'rad', 'sr', 'Hz', 'N', 'Pa', 'J', 'W', 'C', 'V', 'F',
  'ohm', 'Ohm', 'S', 'Wb', 'T', 'H', 'lm', 'lx', 'Bq', 'Gy', 'Sv', 'kat', 'M', 'l', 'L'
];

/**
 * Prefixed unit symbols that are units anywhere (`mV`, `nS`, `pF`, `kHz`, `Mohm`, `uM`):
 * each symbol with the prefixes that are in common use for it.
 */
const PREFIXED_SYMBOLS: Record<string, string> = {
  m: 'f p n u m c k',
  g: 'u m k',
  s: 'f p n u m',
  A: 'f p n u m k',
  K: 'm',
  mol: 'p n u m k',
  Hz: 'm k M G',
  N: 'm k',
  J: 'm k M',
  W: 'u m k M G',
  C: 'p n u m',
  V: 'f p n u m k M',
  F: 'f p n u m',
  ohm: 'm k M G',
  Ohm: 'm k M G',
  S: 'f p n u m k',
  H: 'n u m',
  M: 'p n u m',
  l: 'n u m',
  L: 'n u m'
};

const LENGTHS = new Set(['metre', 'meter', 'm']);

/** Multi-letter symbols that are units on their own anywhere. */
const UNAMBIGUOUS_SYMBOLS = ['Hz', 'ohm', 'Ohm', 'mol'];

function withPowers(names: Set<string>, name: string, base: string): void {
  names.add(name);
  if (LENGTHS.has(base)) {
    names.add(name + '2');
    names.add(name + '3');
  }
}

function buildUnitNames(): { anywhere: Set<string>; inSpec: Set<string> } {
  const anywhere = new Set<string>(UNAMBIGUOUS_SYMBOLS);
  for (const unit of FULL_UNIT_NAMES) {
    withPowers(anywhere, unit, unit);
    for (const prefix of [...SHORT_PREFIXES, ...LONG_PREFIXES]) {
      withPowers(anywhere, prefix + unit, unit);
    }
  }
  for (const [symbol, prefixes] of Object.entries(PREFIXED_SYMBOLS)) {
    for (const prefix of prefixes.split(' ')) {
      withPowers(anywhere, prefix + symbol, symbol);
    }
  }
  const inSpec = new Set<string>([...anywhere, ...SPECIAL_UNITS]);
  for (const symbol of UNIT_SYMBOLS) {
    withPowers(inSpec, symbol, symbol);
  }
  return { anywhere, inSpec };
}

const UNIT_NAMES = buildUnitNames();

/**
 * Whether `word` names a unit.
 *
 * @param word - an identifier (or `1`)
 * @param inUnitSpec - whether the word stands in a unit specification after ` : `,
 *   where bare symbols (`V`, `m`, `S`) and `1`, `boolean`, `integer` are units too.
 */
export function isUnitName(word: string, inUnitSpec = false): boolean {
  return (inUnitSpec ? UNIT_NAMES.inSpec : UNIT_NAMES.anywhere).has(word);
}

/** Whether `word` is a special symbol (`t`, `dt`, `xi`, `xi_<suffix>`, `N_pre`, ...). */
export function isSpecialSymbol(word: string): boolean {
  return SPECIAL_SYMBOLS.has(word) || /^xi_\w+$/.test(word);
}

/** Whether `word` refers to a variable of the pre- or postsynaptic group (`v_post`). */
export function isPrePostName(word: string): boolean {
  return /^[A-Za-z_]\w*?_(pre|post)$/.test(word) && word !== '_pre' && word !== '_post';
}

/** Whether the words `text` (spaces normalised) form a known flag. */
export function isFlag(text: string): boolean {
  return FLAGS.has(text.trim().split(/\s+/).join(' '));
}

/**
 * Whether a cell's source is an equation cell: its first non-blank line starts with
 * `%%neuron` or `%%synapse` (followed by whitespace or the end of the line).
 */
export function isEquationCell(source: string): boolean {
  return /^(?:[ \t]*\r?\n)*%%(?:neuron|synapse)(?=\s|$)/.test(source);
}
