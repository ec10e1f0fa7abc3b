import { secureHeaders } from "hono/secure-headers";

/**
 * Security headers on every response, errors included (it runs around the error handler). The CSP allows only our
 * own scripts: the SPA, the SDK and the docs page are all served from this origin. Inline styles are allowed because
 * the chart library positions its tooltip with style attributes.
 */
export function securityHeaders({ hsts }: { hsts: boolean }) {
  return secureHeaders({
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
    xFrameOptions: "DENY",
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
