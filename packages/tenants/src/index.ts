export * from "./construct-address";
export * from "./credential-sources";
export * from "./credentials";
export * from "./databases";
export * from "./ephemeral";
export * from "./footprint";
export * from "./secret-value";
export * from "./secrets";
