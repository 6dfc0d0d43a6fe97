export * from "./engine";
export * from "./final-snapshot-name";
export * from "./instance-log-groups";
export * from "./monitoring-role";
export * from "./postgres-instance";
