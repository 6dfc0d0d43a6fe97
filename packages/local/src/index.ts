export * from "./credentials";
export * from "./interrupted";
export * from "./local-stack";
export * from "./local-target";
