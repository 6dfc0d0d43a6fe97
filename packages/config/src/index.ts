export * from "./capacity";
export * from "./errors";
export * from "./identifiers";
export * from "./instance-classes";
export * from "./json-schema";
export * from "./load";
export * from "./schema/environment";
export * from "./schema/tenants";
