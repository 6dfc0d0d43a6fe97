export { MAX_PROXY_SECRETS, proxySecretProblem } from "@pgforks/config";
export * from "./database-proxy";
