export * from "./checkov";
export * from "./controls";
export * from "./evaluate";
export * from "./plan";
export * from "./skips";
export * from "./stack-plans";
