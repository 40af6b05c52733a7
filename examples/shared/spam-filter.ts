/**
 * What both examples train: the spam filter of sdk/spam (logistic regression over hashed
 * tokens, 2^12 buckets so that a version is 16 KiB) on a handful of mails of their own.
 * A real app trains on its user's mail; these stand in for it. Runs in browsers and Node.
 */
import type { Trainer } from "../../sdk/index";
import { featurize } from "../../sdk/spam/features";
import type { SpamModel } from "../../sdk/spam/model";
import { spamTrainer } from "../../sdk/spam/trainer";

/** The task both examples use; `npm run example:task` creates it (create-task.ts). */
export const TASK = "spam-filter";
export const MODEL: SpamModel = { kind: "logistic", buckets: 1 << 12 };
/** Local training: sdk/spam's choice for logistic regression (trainer.ts), 2 epochs. */
export const TRAINING = { epochs: 2, learningRate: 0.5, batchSize: 10 };

const SPAM = [
  "Subject: You have WON a free cruise\n\nClaim your prize now, click here to win cash",
  "Subject: Cheap meds online\n\nBuy cheap pills without prescription, discount offer today only",
  "Subject: Urgent: verify your account\n\nYour bank account is suspended, click the link and enter your password",
  "Subject: Make money fast\n\nEarn $5000 a week from home, no experience, click here",
  "Subject: Lowest mortgage rates\n\nRefinance now, limited time offer, act now for free quote",
  "Subject: Hot singles near you\n\nClick here to meet singles tonight, free registration",
  "Subject: Congratulations winner\n\nYou are selected for a cash prize, send your details to claim",
  "Subject: Limited offer: replica watches\n\nLuxury watches at discount prices, order now, free shipping",
  "Subject: Investment opportunity\n\nGuaranteed returns, double your money, wire transfer today",
  "Subject: Free gift card\n\nClaim your free gift card now, offer expires, click the link",
];

const HAM = [
  "Subject: Meeting tomorrow\n\nCan we move our meeting to 10am? I need to review the slides first",
  "Subject: Re: patch for the build\n\nThe patch fixes the failing test in the parser, please review",
  "Subject: Lunch on Friday\n\nAre you free for lunch on Friday with the team? Thai or pizza",
  "Subject: Quarterly report draft\n\nAttached is the draft of the quarterly report, comments welcome",
  "Subject: Re: kernel config question\n\nYou need to enable the module in the config and rebuild",
  "Subject: Photos from the trip\n\nHere are the photos from our hiking trip last weekend",
  "Subject: Release notes\n\nThe release notes for version 2.3 are in the wiki, please check the changelog",
  "Subject: Re: mailing list archive\n\nThe archive of the list moved to the new server last month",
  "Subject: Dinner plans\n\nMom asked if we are coming for dinner on Sunday evening",
  "Subject: Code review comments\n\nI left some comments on your pull request about the error handling",
];

const messages = [
  ...SPAM.map((text) => ({ text, spam: true })),
  ...HAM.map((text) => ({ text, spam: false })),
].map((m) => featurize(m, MODEL.buckets));

/** Every fourth mail is held out: evaluation scores the global model on mail it was not trained on. */
export const trainSet = messages.filter((_, i) => i % 4 !== 3);
export const holdout = messages.filter((_, i) => i % 4 === 3);

/** The device's trainer: sparse SGD on its own mail (`sdk/spam/trainer.ts`), evaluated on its holdout. */
export function localTrainer(seed = 1): Trainer {
  return spamTrainer({ model: MODEL, train: trainSet, evaluation: holdout, seed });
}
