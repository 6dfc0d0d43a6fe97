/**
 * `npm run credentials -- --env <name> [--github-env]`: draws a fresh password for every tenant
 * of an environment that has a role, and prints the two ephemeral input variables the
 * `<env>-tenants` stack takes (see SecretsManagerCredentials): TF_VAR_tenant_passwords (for the
 * secrets only) and TF_VAR_tenant_password_verifiers (SCRAM-SHA-256, for the roles). Terraform
 * uses them only for tenants whose credentials version changes; new values every run are fine.
 *
 * --github-env appends them to $GITHUB_ENV and masks every value in the job log first.
 */
import { appendFileSync } from "node:fs";
import {
  ConfigError,
  environmentNames,
  environmentsDir,
  LOCAL_ENVIRONMENT,
  loadEnvironment,
  onFile,
  repeatedOptionMessage,
  unknownEnvironmentMessage,
} from "@pgforks/config";
import { generatePassword, scramSha256Verifier } from "@pgforks/postgres-server";
import { Command, InvalidArgumentError } from "commander";
import { TENANT_PASSWORDS_VARIABLE, TENANT_VERIFIERS_VARIABLE } from "../credential-sources";

/** Declares `credentials`' options, help and action on `command`. */
export function describeCredentialsCommand(command: Command): Command {
  return command
    .description(
      "fresh tenant passwords for a run of <env>-tenants, as ephemeral Terraform variables",
    )
    .requiredOption(
      "--env <name>",
      "environment folder under environments/",
      (value: string, previous: string | undefined) => {
        // --env dev --env prod drew prod's passwords without a word (commander keeps the last).
        if (previous !== undefined) {
          throw new InvalidArgumentError(repeatedOptionMessage("--env", previous, value));
        }
        return value;
      },
    )
    .option("--github-env", "append to $GITHUB_ENV (values masked in the log) instead of printing")
    .addHelpText(
      "after",
      [
        "",
        `Without --github-env: two lines, export TF_VAR_${TENANT_PASSWORDS_VARIABLE}='...' and`,
        `export TF_VAR_${TENANT_VERIFIERS_VARIABLE}='...'; to set them in this shell:`,
        '  eval "$(npm run -s credentials -- --env <env>)"',
        "Exit codes: 0 done, 1 usage, configuration or $GITHUB_ENV error.",
      ].join("\n"),
    )
    .action((options: { env: string; githubEnv?: boolean }) => {
      try {
        printCredentials(options);
      } catch (error) {
        console.error(
          error instanceof ConfigError ? error.message : `credentials: ${(error as Error).message}`,
        );
        process.exitCode = 1;
      }
    });
}

/**
 * `env` when it is an environment folder; otherwise an Error that lists them ("--env prdo"
 * named two missing files, "--env ''" the files of environments/ itself).
 */
export function requireEnvironmentName(env: string, dir = environmentsDir()): string {
  const known = environmentNames(dir);
  if (known.includes(env)) return env;
  if (env === LOCAL_ENVIRONMENT) {
    throw new Error(
      `--env ${env}: the local target has no Terraform run to credential: npm start draws its passwords (.local/credentials.json) (environments: ${known.join(", ")})`,
    );
  }
  throw new Error(`--env: ${unknownEnvironmentMessage(env, known)}`);
}

function printCredentials(options: { env: string; githubEnv?: boolean }): void {
  const { tenants } = loadEnvironment(requireEnvironmentName(options.env));
  const passwords: Record<string, string> = {};
  const verifiers: Record<string, string> = {};
  for (const tenant of tenants) {
    if (tenant.state === "dropped") continue;
    passwords[tenant.name] = generatePassword();
    verifiers[tenant.name] = scramSha256Verifier(passwords[tenant.name] as string);
  }
  const lines = [
    `TF_VAR_${TENANT_PASSWORDS_VARIABLE}=${JSON.stringify(passwords)}`,
    `TF_VAR_${TENANT_VERIFIERS_VARIABLE}=${JSON.stringify(verifiers)}`,
  ];
  if (options.githubEnv) {
    const file = process.env.GITHUB_ENV;
    if (!file)
      throw new Error("--github-env: GITHUB_ENV is not set (run it in a GitHub Actions step)");
    for (const value of [...Object.values(passwords), ...Object.values(verifiers)]) {
      console.log(`::add-mask::${value}`);
    }
    onFile(file, "append to $GITHUB_ENV", () => appendFileSync(file, `${lines.join("\n")}\n`));
    console.log(
      `credentials: ${Object.keys(passwords).length} tenant(s) of ${options.env} in $GITHUB_ENV`,
    );
    return;
  }
  for (const line of lines) console.log(`export ${line.replace("=", "='")}'`);
}

// Run directly: `tsx packages/tenants/src/bin/credentials.ts --env <name>`.
if (require.main === module) {
  describeCredentialsCommand(new Command("credentials")).parse(process.argv);
}
