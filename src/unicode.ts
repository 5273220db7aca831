/**
 * In a `u` regular expression a surrogate pair is one code point, so this matches only a
 * surrogate standing alone: what String.prototype.isWellFormed (ES2024, beyond this
 * project's TypeScript lib) looks for.
 */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Whether `text` is valid Unicode, i.e. has no lone surrogate. A lone surrogate cannot be
 * written as UTF-8: SQLite, Redis and every client would store or show U+FFFD instead, so
 * two different strings would become one.
 */
export const isWellFormed = (text: string): boolean => !LONE_SURROGATE.test(text);
