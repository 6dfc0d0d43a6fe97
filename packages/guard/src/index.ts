export * from "./approvals";
export * from "./guard";
export * from "./protections";
export * from "./relocation";
export * from "./stateful";
