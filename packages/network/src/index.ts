export * from "./bastion";
export * from "./flow-log";
export * from "./interface-endpoints";
export * from "./network";
export * from "./security-groups";
export * from "./subnet-layout";
