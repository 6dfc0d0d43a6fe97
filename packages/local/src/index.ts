export * from "./credentials";
export * from "./interrupted";
export * from "./local-lock";
export * from "./local-stack";
export * from "./local-target";
