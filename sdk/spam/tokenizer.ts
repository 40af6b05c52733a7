/**
 * Raw RFC 5322 message → word tokens: the subject and the body, lowercased, with HTML
 * markup removed. Routing headers (Received, Return-Path, list headers…) are left out on
 * purpose: in the SpamAssassin corpus they describe how the collectors received the mail
 * — every easy-ham list message passed through spamassassin.taint.org — so a model would
 * learn the collection setup rather than the mail.
 */

/** Tokens longer than this are encoded payloads (base64 lines, hashes), not words. */
const MAX_TOKEN_LENGTH = 30;
/** Subject words get their own features: "free" in a subject says more than in a body. */
export const SUBJECT_PREFIX = "subject:";

export function tokenize(raw: string): string[] {
  const text = raw.replace(/\r\n?/g, "\n");
  const blank = text.indexOf("\n\n");
  const headers = blank < 0 ? text : text.slice(0, blank);
  const body = blank < 0 ? "" : text.slice(blank + 2);
  // Header fields may be folded onto continuation lines that start with white space (RFC 5322 §2.2.3).
  const subject = /^subject:(.*(?:\n[ \t].*)*)/im.exec(headers)?.[1] ?? "";
  return [...words(subject).map((w) => SUBJECT_PREFIX + w), ...words(stripHtml(body))];
}

/**
 * Removes comments, style and script blocks, and tags. Comments go without a trace because
 * spam hides words from filters by splitting them with comments ("vi<!-- -->agra"); tags
 * become spaces because they separate words ("<td>price</td><td>now</td>").
 */
function stripHtml(body: string): string {
  return body
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<(style|script)\b[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<\/?[a-z!][^>]*>/gi, " ");
}

/** Runs of letters and digits in any script, plus "$" and "!" — strong spam markers on their own. */
function words(text: string): string[] {
  const found = text.toLowerCase().match(/[\p{L}\p{N}]+|[$!]/gu) ?? [];
  return found.filter((w) => w.length <= MAX_TOKEN_LENGTH);
}
