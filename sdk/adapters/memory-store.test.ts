import { MemoryStore } from "./memory-store";
import { describeStoreContract } from "./store.contract";

describeStoreContract("MemoryStore", () => new MemoryStore());
