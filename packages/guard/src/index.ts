export * from "./approvals";
export * from "./guard";
export * from "./protections";
export * from "./stateful";
