import { Secret, TOTP } from "otpauth";

/**
 * RFC 6238 with the parameters every authenticator app reads from an otpauth URI: HMAC-SHA-1,
 * 6 digits, 30-second steps. A 160-bit secret is the key length RFC 4226 §4 recommends.
 */
const PARAMETERS = { algorithm: "SHA1", digits: 6, period: 30 } as const;
const SECRET_BYTES = 20;
/** RFC 6238 §5.2: one step either way absorbs clock drift and the time it takes to type the code. */
const DRIFT_STEPS = 1;
const CODE = /^\d{6}$/;

export interface TotpEnrollmentOffer {
  readonly secret: string;
  readonly otpauthUri: string;
  readonly qrCodeSvg: string;
}

export class Totp {
  constructor(private readonly issuer: string) {}

  /** A new random secret (base32), its otpauth URI and that URI as an SVG QR code. */
  async offer(accountName: string): Promise<TotpEnrollmentOffer> {
    const secret = new Secret({ size: SECRET_BYTES });
    const otpauthUri = new TOTP({ issuer: this.issuer, label: accountName, secret, ...PARAMETERS }).toString();
    // Loaded at the first enrolment: ~0.4 MB of heap that most requests never need.
    const { default: QRCode } = await import("qrcode");
    const qrCodeSvg = await QRCode.toString(otpauthUri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
    return { secret: secret.base32, otpauthUri, qrCodeSvg };
  }

  /** True for a string shaped like a TOTP code; anything else is no TOTP attempt at all. */
  static isCodeShaped(code: string): boolean {
    return CODE.test(code);
  }

  /**
   * The time step (seconds since the epoch / 30) whose code `code` is, within the drift window
   * around `nowMs`, or undefined. Callers accept a step only once per account (RFC 6238 §5.2).
   */
  matchingStep(secretBase32: string, code: string, nowMs: number): number | undefined {
    if (!CODE.test(code)) return undefined;
    const delta = TOTP.validate({
      token: code,
      secret: Secret.fromBase32(secretBase32),
      timestamp: nowMs,
      window: DRIFT_STEPS,
      ...PARAMETERS,
    });
    return delta === null ? undefined : TOTP.counter({ period: PARAMETERS.period, timestamp: nowMs }) + delta;
  }
}
