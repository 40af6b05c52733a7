/**
 * The web APIs the client cannot work without, checked when it is created: a missing one
 * would otherwise surface mid-round, after the server had assigned this device a version.
 */
import { FedgeUnsupportedError } from "./errors";

export function requireWebCrypto(): void {
  const webCrypto = (globalThis as { crypto?: Partial<Crypto> }).crypto;
  if (typeof webCrypto?.getRandomValues !== "function")
    throw new FedgeUnsupportedError("crypto.getRandomValues is not available here; the SDK needs Web Crypto");
  if (typeof webCrypto.subtle?.digest !== "function") {
    // Browsers expose crypto.subtle only in secure contexts: https, or http on localhost.
    const insecure = (globalThis as { isSecureContext?: boolean }).isSecureContext === false;
    throw new FedgeUnsupportedError(
      insecure
        ? "crypto.subtle is missing because this page is not a secure context: serve it over https (or from localhost)"
        : "crypto.subtle is not available here; the SDK needs Web Crypto's SHA-256 to verify models",
    );
  }
}
