import { describe, expect, it } from "vitest";
import { regionFromGeo } from "./regions";

describe("regionFromGeo", () => {
  it.each([
    [{ continent: "NA", longitude: "-122.4" }, "wnam"],
    [{ continent: "NA", longitude: "-74.0" }, "enam"],
    [{ continent: "NA" }, "enam"],
    [{ continent: "SA", country: "BR" }, "sam"],
    [{ continent: "EU", longitude: "2.35" }, "weur"],
    [{ continent: "EU", longitude: "21.0" }, "eeur"],
    [{ continent: "AS", country: "JP" }, "apac"],
    [{ continent: "AS", country: "AE" }, "me"],
    [{ continent: "AF", country: "EG" }, "me"],
    [{ continent: "AF", country: "NG" }, "afr"],
    [{ continent: "OC", country: "AU" }, "oc"],
  ] as const)("maps %j to %s", (geo, region) => {
    expect(regionFromGeo(geo)).toBe(region);
  });

  it("returns undefined without a continent", () => {
    expect(regionFromGeo({})).toBeUndefined();
  });
});
