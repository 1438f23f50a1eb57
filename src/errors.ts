/**
 * What kind of failure the user caused; callers branch on `err.code` (docs/errors.md describes each).
 */
export const USER_ERROR_CODES = [
  'ENOENT',
  'EACCES',
  'BAD_IMAGE',
  'TOO_MANY_PIXELS',
  'SIZE_MISMATCH',
  'IMAGE_TOO_SMALL',
  'BAD_MASK',
  'BAD_OPTION',
  'BAD_CONFIG',
  'BAD_WEIGHTS',
  'NO_WEIGHTS',
  'BACKEND_UNAVAILABLE',
  'WRITE_FAILED',
  'BAD_INPUT',
] as const;
export type UserErrorCode = (typeof USER_ERROR_CODES)[number];

/**
 * An option as each entry point names it: the library's `resize: true`, the CLI's `--resize`. A message
 * is written once with these in it; `message` says the library's words, `cliMessage` the CLI's.
 */
export interface OptionName {
  readonly library: string;
  readonly cli: string;
}

/** A message in parts: plain text and option names. */
export type Phrase = readonly (string | OptionName)[];

/** An option's two names, for use in `said`. */
export const option = (library: string, cli: string): OptionName => ({ library, cli });

/**
 * A message with option names in it:
 * said`size mismatch (${option('resize: true', '--resize')} resizes actual)`.
 */
export function said(
  strings: TemplateStringsArray,
  ...values: (string | number | OptionName | Phrase)[]
): Phrase {
  const parts: (string | OptionName)[] = [strings[0]!];
  values.forEach((v, i) => {
    if (Array.isArray(v)) parts.push(...(v as Phrase));
    else parts.push(typeof v === 'number' ? String(v) : (v as string | OptionName));
    parts.push(strings[i + 1]!);
  });
  return parts;
}

/** The phrase in one entry point's words. */
export function phrase(p: Phrase | string, words: keyof OptionName): string {
  return typeof p === 'string' ? p : p.map((x) => (typeof x === 'string' ? x : x[words])).join('');
}

/**
 * A failure the user caused (unreadable image, size mismatch, bad option, unwritable --out), with a `code`
 * to branch on. The CLI prints its `cliMessage` as one line on stderr and exits 2; the library throws it,
 * its `message` naming the library's options; anything else reaching the top is a bug.
 */
export class UserError extends Error {
  override name = 'UserError';
  readonly code: UserErrorCode;
  /** The message with the CLI's flag names in place of the library's option names. */
  readonly cliMessage: string;
  /** The message in parts, to build on: said`${where}: ${err.phrase}` keeps both wordings. */
  readonly phrase: Phrase;

  constructor(message: string | Phrase, code: UserErrorCode = 'BAD_INPUT', options?: ErrorOptions) {
    super(phrase(message, 'library'), options);
    this.code = code;
    this.phrase = typeof message === 'string' ? [message] : message;
    this.cliMessage = phrase(message, 'cli');
  }
}

/** Two images of different sizes (a UserError: the matchers rewrite such a baseline in update mode). */
export class SizeMismatchError extends UserError {
  override name = 'SizeMismatchError';

  constructor(message: string | Phrase) {
    super(message, 'SIZE_MISMATCH');
  }
}

/** A failure as the CLI says it: a UserError's flag wording, else the error's message. */
export function cliText(err: unknown): string {
  if (err instanceof UserError) return err.cliMessage;
  return err instanceof Error ? err.message : String(err);
}

/** Codes an image (or its mask) causes, which a matcher reports as a failed comparison, not a crash. */
const IMAGE_CODES: ReadonlySet<UserErrorCode> = new Set([
  'ENOENT',
  'EACCES',
  'BAD_IMAGE',
  'TOO_MANY_PIXELS',
  'SIZE_MISMATCH',
  'IMAGE_TOO_SMALL',
  'BAD_MASK',
]);

/**
 * Whether a matcher fails the comparison with this error's message: an image that cannot be compared. A bad
 * option, missing weights or an unavailable backend is thrown instead (the test errors, with the code).
 */
export const isImageError = (err: unknown): err is UserError =>
  err instanceof UserError && IMAGE_CODES.has(err.code);
