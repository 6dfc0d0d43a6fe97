export * from "./backend";
export * from "./compose";
export * from "./platform-stack";
export * from "./synth";
export * from "./tenants-stack";
export * from "./local-tenants-stack";
