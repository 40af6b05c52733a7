import { describe, expect, it } from "vitest";
import { tokenize } from "./tokenizer";

describe("tokenize", () => {
  it("reads the subject, prefixed, and the body, lowercased, and ignores every other header", () => {
    const raw =
      "Received: from relay.example by spamassassin.taint.org\nFrom: Bob <bob@example.com>\nSubject: Hello World\n\nSee you at 10";
    expect(tokenize(raw)).toEqual(["subject:hello", "subject:world", "see", "you", "at", "10"]);
  });

  it("unfolds a folded subject and accepts CRLF line endings", () => {
    expect(tokenize("Subject: Cheap\r\n  Meds\r\n\r\nnow")).toEqual(["subject:cheap", "subject:meds", "now"]);
  });

  it("drops tags, style and script blocks, and joins words split by HTML comments", () => {
    const body =
      "<html><style>p { color: red }</style><p>Buy<b>now</b></p>vi<!-- x -->agra<script>var x</script></html>";
    expect(tokenize(`Subject: x\n\n${body}`)).toEqual(["subject:x", "buy", "now", "viagra"]);
  });

  it("keeps $ and ! as tokens and words in any script, and drops runs longer than 30 characters", () => {
    expect(tokenize(`\n\nSAVE $50!!! Grüße Привет ${"QUJD".repeat(10)}`)).toEqual([
      "save",
      "$",
      "50",
      "!",
      "!",
      "!",
      "grüße",
      "привет",
    ]);
  });

  it("gives a message without a blank line no body", () => {
    expect(tokenize("Subject: only headers")).toEqual(["subject:only", "subject:headers"]);
  });
});
