/**
 * A failure the user caused (unreadable image, size mismatch, bad option, unwritable --out). The CLI prints
 * its message as one line on stderr and exits 2; anything else reaching the top is a bug.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** Two images of different sizes (a UserError: the matchers rewrite such a baseline in update mode). */
export class SizeMismatchError extends UserError {
  override name = 'SizeMismatchError';
}
