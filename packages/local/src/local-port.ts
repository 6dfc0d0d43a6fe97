/** The variable that moves the local server off its default port. */
export const LOCAL_PORT_ENV = "PGFORKS_LOCAL_PORT";

/** Port of the local server unless PGFORKS_LOCAL_PORT says otherwise (5432 + 16 * 3073: unlikely taken). */
export const DEFAULT_LOCAL_PORT = 54316;
