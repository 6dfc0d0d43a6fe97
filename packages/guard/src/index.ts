export * from "./approvals";
export * from "./guard";
export * from "./irreversible";
export * from "./protections";
export * from "./relocation";
export * from "./stateful";
