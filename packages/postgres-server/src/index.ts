export * from "./scram";
export * from "./server";
