import { describe, expect, it } from "vitest";
import { heapGrowthFlags } from "../src/heap-growth.js";

describe("heap growth bound", () => {
  it("is set when the command line says nothing of it", () => {
    expect(heapGrowthFlags([])).toEqual(["--heap-growing-percent=100"]);
    expect(heapGrowthFlags(["--enable-source-maps", "--max-semi-space-size=8"])).toEqual(["--heap-growing-percent=100"]);
  });

  it("yields to the operator's own choice, in either spelling", () => {
    expect(heapGrowthFlags(["--heap-growing-percent=50"])).toEqual([]);
    expect(heapGrowthFlags(["--heap_growing_percent=300"])).toEqual([]);
    expect(heapGrowthFlags(["--heap-growing-percent", "50"])).toEqual([]);
  });

  it("is not confused by a flag that merely starts alike", () => {
    expect(heapGrowthFlags(["--heap-growing-percentage-x=1"])).toEqual(["--heap-growing-percent=100"]);
  });
});
