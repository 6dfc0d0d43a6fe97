export * from "./fixtures";
export * from "./requirements";
