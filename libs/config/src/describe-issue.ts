import type { z } from 'zod';

/** Article + noun for a zod type name, as an operator would say it. */
const TYPE_NAMES: Readonly<Record<string, string>> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'a boolean (true/false, 1/0, yes/no, on/off)',
  bigint: 'an integer',
  array: 'a list',
  object: 'a mapping of settings',
  record: 'a mapping',
  date: 'a date',
};

/**
 * Error map for config validation: says what is expected, in words, without
 * zod's "Invalid input:" preamble, since the caller already names the
 * setting. Messages that a schema sets itself take precedence over these.
 */
export const describeIssue: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'too_small':
      return `expected ${boundText(issue.origin, issue.minimum, issue.inclusive, issue.exact, 'at least', 'more than')}`;
    case 'too_big':
      return `expected ${boundText(issue.origin, issue.maximum, issue.inclusive, issue.exact, 'at most', 'less than')}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${JSON.stringify(issue.values[0])}`
        : `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex' ? `expected a string matching ${String(issue['pattern'])}` : `expected a valid ${issue.format}`;
    case 'not_multiple_of':
      return `expected a multiple of ${issue.divisor}`;
    default:
      return undefined;
  }
};

function boundText(
  origin: string,
  bound: number | bigint,
  inclusive: boolean | undefined,
  exact: boolean | undefined,
  inclusiveWord: string,
  exclusiveWord: string,
): string {
  const word = exact ? 'exactly' : inclusive ? inclusiveWord : exclusiveWord;
  switch (origin) {
    case 'string':
      return `${word} ${bound} characters`;
    case 'array':
    case 'set':
      return `${word} ${bound} items`;
    default:
      return `a number ${word} ${bound}`;
  }
}
