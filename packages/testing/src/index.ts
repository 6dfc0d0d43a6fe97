export * from "./fixtures";
export * from "./postgres";
