import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { variablesMarkdown } from "../../src/config/variables.js";

describe("docs/configuration.md", () => {
  it("holds the same variable table the code validates", () => {
    expect(readFileSync("docs/configuration.md", "utf8")).toContain(variablesMarkdown());
  });

  it("is the table README.md shows", () => {
    expect(readFileSync("README.md", "utf8")).toContain(variablesMarkdown());
  });
});
