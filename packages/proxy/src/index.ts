export * from "./database-proxy";
export { MAX_PROXY_SECRETS, proxySecretProblem } from "@pgforks/config";
