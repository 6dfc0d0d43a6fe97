import {
  type AddTenantOptions,
  addTenant,
  type CheckCommandOptions,
  checkTenants,
  type DropTenantOptions,
  dropTenant,
  type ListOptions,
  listTenants,
  type RegistryOptions,
  type SetStateOptions,
  setTenantState,
  writeRegistries,
} from "./commands";

/** One `tenant` command with the options commander checked. */
export type TenantRequest =
  | ({ readonly command: "add" } & AddTenantOptions)
  | ({ readonly command: "list" } & ListOptions)
  | ({ readonly command: StateCommand } & Omit<SetStateOptions, "state">)
  | ({ readonly command: "drop" } & DropTenantOptions)
  | ({ readonly command: "check" } & CheckCommandOptions)
  | ({ readonly command: "registry" } & RegistryOptions);

/** The state each state command moves a tenant to. */
export const STATE_OF = { suspend: "suspended", retire: "retired", activate: "active" } as const;

export type StateCommand = keyof typeof STATE_OF;

/** Runs one tenant command; resolves to the exit code (0 done, 1 refused or failed). */
export async function runTenant(request: TenantRequest): Promise<number> {
  switch (request.command) {
    case "add":
      return addTenant(request);
    case "list":
      return listTenants(request);
    case "suspend":
    case "retire":
    case "activate":
      return setTenantState({ ...request, state: STATE_OF[request.command] });
    case "drop":
      return dropTenant(request);
    case "check":
      return checkTenants(request);
    case "registry":
      return writeRegistries(request);
  }
}
