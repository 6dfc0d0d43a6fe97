import { renderCliConfig } from "../src/cli-config";
import { scanMirror } from "../src/mirror";
import { fakeMirror, FIXTURE_PLATFORM as PLATFORM } from "./fixture";

describe("renderCliConfig", () => {
  const mirror = scanMirror(fakeMirror(), PLATFORM);

  it("installs only from the mirror, only the providers it holds, and never directly", () => {
    const config = renderCliConfig({ mirror });
    expect(config).toContain(
      [
        "provider_installation {",
        "  filesystem_mirror {",
        `    path    = "${mirror.path}"`,
        `    include = ["registry.terraform.io/hashicorp/aws"]`,
        "  }",
        "}",
      ].join("\n"),
    );
    expect(config).not.toMatch(/direct|network_mirror/);
    expect(config).toContain("disable_checkpoint = true");
    expect(config).not.toContain("plugin_cache_dir");
  });

  it("adds plugin_cache_dir when asked, escaping quotes", () => {
    const config = renderCliConfig({ mirror, pluginCacheDir: '/tmp/a "b"' });
    expect(config).toContain('plugin_cache_dir = "/tmp/a \\"b\\""');
  });

  it("refuses paths with $, which Terraform would expand as an environment variable", () => {
    expect(() => renderCliConfig({ mirror, pluginCacheDir: "/tmp/$HOME" })).toThrow(/expand/);
  });
});
