export * from "./engine";
export * from "./final-snapshot-name";
export * from "./instance-log-groups";
export * from "./modifications";
export * from "./monitoring-role";
export * from "./postgres-instance";
