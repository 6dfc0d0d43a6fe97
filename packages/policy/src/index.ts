export * from "./controls";
export * from "./evaluate";
export * from "./plan";
export * from "./waivers";
