import { Command } from "commander";
import { describeLocalCommand } from "../src/cli";
import { DEFAULT_LOCAL_PORT, localPort } from "../src/local-target";

/** `pgforks local --help` as commander prints it. */
function help(): string {
  let text = "";
  const command = describeLocalCommand(new Command("local"));
  command.configureOutput({ writeOut: (s) => (text += s) });
  command.outputHelp();
  return text;
}

describe("pgforks local --help", () => {
  it("says which step runs by default (npm start, a bare `npm run local`)", () => {
    expect(help()).toMatch(/^ {2}start +\(the default\) start the server/m);
    expect(help()).toContain("npm start runs `local start`, the default step.");
  });

  it("names every exit code, ctrl-C's too", () => {
    expect(help().replace(/\s+/g, " ")).toContain(
      "Exit codes: 0 done, 1 failure or usage, 128+signal when ctrl-C (SIGINT: 130), SIGTERM or SIGHUP ended it.",
    );
  });

  it("names the port variable with the default the server really uses", () => {
    expect(localPort({})).toBe(DEFAULT_LOCAL_PORT);
    expect(help().replace(/\s+/g, " ")).toContain(
      `PGFORKS_LOCAL_PORT (the server's port, default ${DEFAULT_LOCAL_PORT})`,
    );
  });
});
