// Run by interrupt.test.ts as a process of its own, in a process group of its own (as a terminal
// runs `npm start`, so that a ctrl-C can be sent to the whole group): applies the tenants given
// in PGFORKS_TEST_APPLY (JSON: the applyTenants options) as `npm start` does, and ends as
// `pgforks local` does (reportLocalFailure).
import { reportLocalFailure } from "../src/cli";
import { type ApplyTenantsOptions, applyTenants } from "../src/local-target";

const options = JSON.parse(process.env.PGFORKS_TEST_APPLY ?? "{}") as ApplyTenantsOptions;
applyTenants(options).then(
  (result) => console.log(`applied: ${result.summary}`),
  (error: unknown) => {
    process.exitCode = reportLocalFailure(error);
  },
);
