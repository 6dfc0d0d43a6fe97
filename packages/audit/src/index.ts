export * from "./audit";
export type {
  AuditConnection,
  AuditConnectionFactory,
  CatalogSnapshot,
  LiveDatabase,
  LiveRole,
} from "./catalog";
export { readCatalog } from "./catalog";
export {
  CONNECT_TIMEOUT_MS,
  type ConnectionSettings,
  connectionFactory,
  connectionSettings,
  EXIT_ERROR,
  EXIT_FINDINGS,
  EXIT_OK,
  SSL_MODES,
  type SslMode,
} from "./cli";
export * from "./findings";
export * from "./report";
