export * from "./alarm-topic";
export * from "./dashboard";
export * from "./database-alarms";
export * from "./metrics";
export * from "./thresholds";
