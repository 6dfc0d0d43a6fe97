export * from "./credential-sources";
export * from "./credentials";
export * from "./databases";
export * from "./ephemeral";
export * from "./secret-value";
export * from "./secrets";
