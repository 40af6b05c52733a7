import { describeRobustContract } from "./robust.contract";

describeRobustContract({ kind: "median" }, 7);
describeRobustContract({ kind: "trimmed-mean", beta: 0.2 }, 7);
describeRobustContract({ kind: "krum", f: 1 }, 7);
describeRobustContract({ kind: "multi-krum", f: 1, m: 3 }, 7);
// f = 3 keeps every selection round at k ≥ 2; f = 1 (n = 7) ends with k = 1 rounds.
describeRobustContract({ kind: "bulyan", f: 3 }, 15);
