export * from "./fixtures";
export * from "./requirements";
export * from "./synth";
