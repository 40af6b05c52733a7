/** Which of the nine location hints serves this request. */
import type { Context } from "hono";
import { FedgeError } from "../shared/errors";
import { isRegion, REGIONS, type Region, regionFromGeo } from "../shared/regions";
import type { AppEnv } from "./app-env";

export const REGION_OVERRIDE_HEADER = "X-Fedge-Region";

/**
 * `X-Fedge-Region` wins only where ALLOW_REGION_OVERRIDE is "true" (local runs and tests,
 * which have no real geography); everywhere else it is ignored and `request.cf` decides.
 */
export function requestRegion(c: Context<AppEnv>): Region {
  const override = c.req.header(REGION_OVERRIDE_HEADER);
  if (override !== undefined && c.env.ALLOW_REGION_OVERRIDE === "true") {
    if (!isRegion(override)) {
      throw new FedgeError("bad_request", `${REGION_OVERRIDE_HEADER} must be one of ${REGIONS.join(", ")}`);
    }
    return override;
  }
  const cf = c.req.raw.cf as IncomingRequestCfProperties | undefined;
  const fromGeo = cf ? regionFromGeo(cf) : undefined;
  if (fromGeo) return fromGeo;
  return isRegion(c.env.DEFAULT_REGION) ? c.env.DEFAULT_REGION : "enam";
}
