export * from "./check";
export * from "./commands";
export * from "./files";
export * from "./plan";
export * from "./registry";
export * from "./run";
export * from "./tenants-document";
