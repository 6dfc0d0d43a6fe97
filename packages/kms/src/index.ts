export * from "./partition";
export * from "./platform-key";
