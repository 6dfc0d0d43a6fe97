export * from "./credentials";
export * from "./local-stack";
export * from "./local-target";
