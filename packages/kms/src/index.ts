export * from "./platform-key";
