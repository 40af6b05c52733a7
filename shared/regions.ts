/**
 * The nine Durable Object location hints, and the mapping from a request's
 * `request.cf` geography to the nearest one.
 * https://developers.cloudflare.com/durable-objects/reference/data-location/
 */
export const REGIONS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;
export type Region = (typeof REGIONS)[number];

export function isRegion(value: unknown): value is Region {
  return typeof value === "string" && (REGIONS as readonly string[]).includes(value);
}

// ISO 3166-1 alpha-2 codes that Cloudflare's "me" (Middle East) hint serves better than apac/afr/eeur.
const MIDDLE_EAST = new Set([
  "AE",
  "BH",
  "CY",
  "EG",
  "IL",
  "IQ",
  "IR",
  "JO",
  "KW",
  "LB",
  "OM",
  "PS",
  "QA",
  "SA",
  "SY",
  "TR",
  "YE",
]);

/** The geography fields of `request.cf` that the mapping reads. */
export interface Geo {
  continent?: string | undefined;
  country?: string | undefined;
  latitude?: string | number | undefined;
  longitude?: string | number | undefined;
}

/**
 * Maps a client's location to a location hint. Continent decides, country refines
 * the Middle East, longitude splits North America (at 100°W, between the western and
 * eastern US data-centre clusters) and Europe (at 20°E, roughly the EU's old east border).
 * Returns undefined when the request carries no usable geography.
 */
export function regionFromGeo(geo: Geo): Region | undefined {
  if (geo.country && MIDDLE_EAST.has(geo.country)) return "me";
  const lon = geo.longitude === undefined ? Number.NaN : Number(geo.longitude);
  switch (geo.continent) {
    case "NA":
      return Number.isFinite(lon) && lon < -100 ? "wnam" : "enam";
    case "SA":
      return "sam";
    case "EU":
      return Number.isFinite(lon) && lon >= 20 ? "eeur" : "weur";
    case "AS":
      return "apac";
    case "OC":
      return "oc";
    case "AF":
      return "afr";
    case "AN":
      return "oc";
    default:
      return undefined;
  }
}
