// The committed extract of the providers' schemas must be what the providers in the mirror give
// today: regenerate it with `npm run provider-shapes -w @pgforks/plan-review` after a provider
// upgrade or when the stacks start using a new resource type.
import { testWhen } from "@pgforks/testing";
import { PROVIDER_SHAPES } from "../src/provider-shapes";
import { generateProviderShapes, providerShapesUnavailable } from "../src/provider-shapes-source";

const withProviders = testWhen(providerShapesUnavailable());

withProviders(
  "src/provider-shapes.json matches `terraform providers schema -json` of the mirror's providers",
  async () => {
    const fresh = await generateProviderShapes();
    expect(Object.keys(fresh.resources)).toContain("aws_db_proxy");
    expect(PROVIDER_SHAPES).toEqual(fresh);
  },
  600_000,
);
