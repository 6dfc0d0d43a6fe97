export * from "./markdown";
