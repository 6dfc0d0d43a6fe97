export * from "./backend";
export * from "./compose";
export * from "./local-tenants-stack";
export * from "./platform-stack";
export * from "./synth";
export * from "./tenants-stack";
