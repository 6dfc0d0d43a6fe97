export * from "./databases";
export * from "./ephemeral";
export * from "./naming";
export * from "./secret-value";
export * from "./secrets";
