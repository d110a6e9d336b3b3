import { MemoryStore } from "../../src/service/memory-store.js";
import { defineStoreContract } from "./store-contract.js";

defineStoreContract("MemoryStore", async () => ({ store: new MemoryStore(), cleanup: async () => {} }));
