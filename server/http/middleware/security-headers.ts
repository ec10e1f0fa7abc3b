import { secureHeaders } from "hono/secure-headers";

/**
 * The one home of the security header policies: the app's middleware below, and the set a JSON API answer carries
 * (API_SECURITY_HEADERS), which the ingest handler sets itself because its native route runs without middleware.
 */

/** Nothing a JSON API answers is ever a document, so its policy allows nothing. */
export const API_SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
} as const;

/**
 * Security headers on every response, errors included (it runs around the error handler). The CSP allows only our
 * own scripts: the SPA, the SDK and the docs page are all served from this origin. Inline styles are allowed because
 * the chart library positions its tooltip with style attributes. A header a route set itself (ingest's
 * API_SECURITY_HEADERS) is kept, so ingest answers alike through the app and through its native route.
 */
export function securityHeaders({ hsts }: { hsts: boolean }) {
  return secureHeaders({
    overwrite: false,
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", "data:"],
      fontSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      frameAncestors: ["'none'"],
      formAction: ["'self'"],
    },
    strictTransportSecurity: hsts ? "max-age=31536000; includeSubDomains" : false,
    xFrameOptions: API_SECURITY_HEADERS["x-frame-options"],
    referrerPolicy: "strict-origin-when-cross-origin",
    permissionsPolicy: {
      camera: [],
      microphone: [],
      geolocation: [],
      payment: [],
      usb: [],
    },
    crossOriginResourcePolicy: false,
    crossOriginOpenerPolicy: "same-origin",
    xXssProtection: "0",
  });
}
